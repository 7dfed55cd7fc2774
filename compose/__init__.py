"""pycompose's declarative side: load, validate, model, plan and reconcile projects."""

__version__ = "0.1.0"
