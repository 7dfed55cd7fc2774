"""The file-watch dev mode: ``develop.watch`` rules acted on (see watcher.py)."""
