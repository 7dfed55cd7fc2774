"""Errors of the image store, all under :class:`runtime.errors.RuntimeFailure`."""

from __future__ import annotations

from runtime.errors import Conflict, NotFound, RuntimeFailure


class ImageError(RuntimeFailure):
    """Something about an image, its content or an archive is wrong."""


class InvalidReference(ImageError):
    """A string is not a valid image reference."""


class DigestMismatch(ImageError):
    """Content does not hash to the digest that names it."""


class UnsafeArchive(ImageError):
    """A layer or archive tries to write outside its directory, or is malformed."""


class ImageNotFound(NotFound):
    """No image matches a reference or ID."""


class ImageInUse(Conflict):
    """An image cannot be removed while a container uses it."""


__all__ = [
    "DigestMismatch",
    "ImageError",
    "ImageInUse",
    "ImageNotFound",
    "InvalidReference",
    "UnsafeArchive",
]
