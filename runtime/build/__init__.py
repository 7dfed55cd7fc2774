"""The image builder: Dockerfile frontend, execution and cache, layers and commits (host side)."""
