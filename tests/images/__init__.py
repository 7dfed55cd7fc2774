"""Tests of the image store and the ``image`` commands."""
