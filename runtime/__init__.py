"""pycompose's host side: image store, containers, networks, volumes, logs, state.

The declarative side (``compose``) reaches this package only through ``runtime.api``.
"""
