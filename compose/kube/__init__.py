"""Export of a compose project to Kubernetes manifests (see convert.py)."""
