"""How ``pycompose`` ends: the exit code, exit handlers and buffered output survive the
quick exit that skips the interpreter's module teardown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from compose import __version__


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)


def test_exit_handlers_run_and_buffered_output_arrives(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    proc = _python(
        "import atexit, sys\n"
        "from compose.cli.main import exit_now\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"
        "sys.stdout.write('x' * 100000)\n"  # more than one buffer's worth, not yet flushed
        "sys.stderr.write('to stderr')\n"
        "exit_now(3)\n"
        "print('never printed')\n")
    assert proc.returncode == 3
    assert proc.stdout == "x" * 100000
    assert proc.stderr == "to stderr"
    assert marker.read_text() == "yes"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    out = tmp_path / "thread-finished"
    proc = _python(
        "import threading, time\n"
        "from compose.cli.main import exit_now\n"
        "def work():\n"
        "    time.sleep(0.3)\n"
        f"    open({str(out)!r}, 'w').write('done')\n"
        "threading.Thread(target=work).start()\n"
        "exit_now(5)\n")
    assert proc.returncode == 5
    assert out.read_text() == "done"


def test_version_flag_prints_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "compose", "--version"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"pycompose version {__version__}\n"


def test_exit_code_of_an_error_is_kept(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "compose", "-f", str(tmp_path / "none.yml"),
                           "ps"], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 1
    assert "none.yml" in proc.stderr and "Traceback" not in proc.stderr
