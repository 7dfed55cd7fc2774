"""The Go-template subset of --format."""

from __future__ import annotations

import pytest

from compose.cli.gotemplate import TemplateError, render

DATA = {"State": {"Status": "running", "Pid": 42}, "Name": "/web", "Config": {"Env": ["A=1", "B=2"],
        "Labels": {"b": "2", "a": "1"}}, "Up": True, "Empty": []}


@pytest.mark.parametrize(("template", "expected"), [
    ("{{.State.Status}}", "running"),
    ("{{.State.Pid}} {{.Name}}", "42 /web"),
    ("{{json .Config.Env}}", '["A=1","B=2"]'),
    ("{{index .Config.Labels \"a\"}}", "1"),
    ("{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]"),
    ("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"),
    ("{{if .Up}}up{{else}}down{{end}}", "up"),
    ("{{if .Empty}}x{{else}}none{{end}}", "none"),
    ("{{range .Empty}}x{{else}}empty{{end}}", "empty"),
    ("{{upper .State.Status}}|{{lower \"AB\"}}", "RUNNING|ab"),
    ("{{join .Config.Env \",\"}}", "A=1,B=2"),
    ("{{len .Config.Env}}", "2"),
    ("{{.Missing}}", "<no value>"),
    ("a  {{- .Name -}}  b", "a/webb"),
    ("{{printf \"%s:%d\" .Name .State.Pid}}", "/web:42"),
    ("{{println .Name}}", "/web\n"),
    ("{{.Up}}", "true"),
])
def test_render(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


@pytest.mark.parametrize("template", ["{{range .X}}", "{{end}}", "{{nosuch .X}}", "{{if .A}}x{{else}}"])
def test_errors(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, DATA)
