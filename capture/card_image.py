"""The picture of a host's paper business card (名刺): checked and re-encoded
as captures are (``capture/ingest.py``: the format by its bytes, the pixel
count read from the header before anything is decoded, every piece of
metadata dropped), then made no larger than a phone can show sharply.

Only JPEG and PNG are taken (what a phone's camera and a scanner give).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from capture.ingest import Encoding, ImageRefused, _normalised_mode, decoded, detect_format

FORMATS = ("JPEG", "PNG")
# A phone photo of a card (12 megapixels) fits; a 50-megapixel camera's
# full-size file does not need to.
MAX_PIXELS = 16_000_000
MAX_BYTES = 10 * 1024 * 1024
# The long edge kept: a card (91 x 55 mm) at about 450 dpi, sharper than
# any phone screen shows it, and a few hundred kB as a JPEG.
LONG_EDGE = 1600
QUALITY = 88


@dataclass(frozen=True)
class CardImage:
    image: bytes
    width: int
    height: int
    media_type: str = "image/jpeg"


def process(data: bytes) -> CardImage:
    """Check, decode, turn upright, shrink and re-encode a card's picture as
    JPEG, or raise :class:`ImageRefused`. CPU-bound: run in the ingest pool."""
    if len(data) > MAX_BYTES:
        raise ImageRefused(413, "card_image_too_large", params={"limit_mb": MAX_BYTES // 2**20})
    if not data:
        raise ImageRefused(422, "image_corrupt")
    try:
        source_format = detect_format(data)
    except ImageRefused:
        raise ImageRefused(415, "card_image_format") from None
    if source_format not in FORMATS:
        raise ImageRefused(415, "card_image_format")
    # A JPEG decodes at a fraction of its size when that is all we keep.
    image = decoded(data, source_format, MAX_PIXELS, draft=LONG_EDGE)
    picture = _normalised_mode(image, Encoding())  # flattened onto white, RGB
    picture.info = {}  # nothing read from the upload rides along
    scale = LONG_EDGE / max(picture.size)
    if scale < 1:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=QUALITY)
    return CardImage(image=out.getvalue(), width=picture.width, height=picture.height)
