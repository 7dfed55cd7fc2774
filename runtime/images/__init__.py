"""The image store: OCI content, unpacked layers, image records, container root filesystems.

``compose/`` uses it only through :mod:`runtime.api.images`. The on-disk layout is in
``LAYOUT.md`` beside this file.
"""
