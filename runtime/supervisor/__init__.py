"""Supervision of running containers: a small server per run root and one forked shim per container."""
