"""Helpers shared by the test suite (test images, mounts)."""
