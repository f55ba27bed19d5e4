"""Image file formats and encoding, in one place for the whole product.

The library (uploads, thumbnails, exports, share downloads), the local engine, the Social
Optimizer and embedded recipes all read the same format table and write through the same
``encode``, so a format means the same thing everywhere.
"""

from .encode import encode, flatten_alpha, has_alpha, normalise_mode
from .formats import FORMATS, ImageFormat, format_for, format_for_content_type

__all__ = [
    "FORMATS",
    "ImageFormat",
    "encode",
    "flatten_alpha",
    "format_for",
    "format_for_content_type",
    "has_alpha",
    "normalise_mode",
]
