"""Named volumes of the ``local`` driver, kept under the state root (``<root>/volumes/NAME``)."""
