"""Small-cell suppression for the absence module: the shared rule of :mod:`tildeling.privacy`."""

from ..privacy import suppression_mask

__all__ = ["suppression_mask"]
