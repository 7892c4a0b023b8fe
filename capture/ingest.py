"""From uploaded bytes to a safe, re-encoded image and its thumbnail.

Everything a guest uploads is untrusted: the format is decided by the bytes,
not the name or the Content-Type; image dimensions are checked before any
pixel is decoded (a small PNG can inflate to gigabytes); the picture is
decoded, re-oriented and encoded anew, which drops EXIF (GPS), comments and
anything else riding along in the file.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

# The snippet caps its captures at 2048 px on the long edge; a phone
# screenshot at full resolution (1170 x 2532, 1290 x 2796) also fits.
MAX_PIXELS = 16_000_000
MAX_BYTES = 15 * 1024 * 1024
THUMBNAIL_EDGE = 320

SIGNATURES = {
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "JPEG": (b"\xff\xd8\xff",),
}


class Refused(Exception):
    """An upload refused: the HTTP ``status`` and stable ``code`` the server
    answers with, and the ``params`` of its message.

    Kept apart from the web layer's ``ApiError`` so that ingest needs no
    server; the server turns it into one. Its arguments are its ``args``,
    so it pickles whole across a worker's pipe.
    """

    def __init__(self, status: int, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(status, code, params or {})

    @property
    def status(self) -> int:
        return self.args[0]

    @property
    def code(self) -> str:
        return self.args[1]

    @property
    def params(self) -> dict[str, Any]:
        return self.args[2]


class ImageRefused(Refused):
    """An upload that is no picture we store (a capture, a licence photo, a
    card's picture); server/storage/pictures.py makes it an API error."""


@dataclass(frozen=True)
class Encoding:
    """How captures are stored. JPEG through libjpeg-turbo: measured 11 to 19
    ms for a 1170 x 2532 capture where WebP (method 0, its fastest) took 81
    ms, and WebP decodes slower in browsers too. Chroma is kept at full
    resolution (4:4:4): red prices and blue links on white stay sharp, where
    4:2:0 smears their edges, for about 10 % more bytes. Huffman tables are
    not optimised: 2 to 5 % smaller files for nearly twice the encode time."""

    format: str = "JPEG"  # or "WEBP"
    quality: int = 85
    thumbnail_quality: int = 75

    @property
    def media_type(self) -> str:
        return "image/webp" if self.format == "WEBP" else "image/jpeg"

    @property
    def extension(self) -> str:
        return "webp" if self.format == "WEBP" else "jpg"


@dataclass(frozen=True)
class ProcessedImage:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    thumbnail_width: int
    thumbnail_height: int
    source_format: str
    source_bytes: int
    sha256: str  # of the uploaded bytes: the same screen sent twice has one hash
    media_type: str
    extension: str


def detect_format(data: bytes) -> str:
    """PNG, JPEG or WEBP from the first bytes, or ``415 unsupported_image``."""
    for name, prefixes in SIGNATURES.items():
        if data.startswith(prefixes):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise ImageRefused(415, "unsupported_image")


def webp_canvas_size(data: bytes) -> tuple[int, int]:
    """Width and height from a WebP file's first chunk, as libwebp reads
    them, or ``SyntaxError`` when they cannot be read (then it is no WebP
    that libwebp would decode either).

    Pillow's WebP decoder allocates the whole canvas as the file is opened,
    before any size check could run, so the size is read here first:
    ``VP8X`` (extended: alpha, metadata, animation) names the canvas,
    ``VP8 `` (lossy) and ``VP8L`` (lossless) the one frame.
    """
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width, height = (int.from_bytes(data[i : i + 3], "little") + 1 for i in (24, 27))
        return width, height
    # A key frame, then the VP8 start code; 14 bits each (the top two scale).
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    # The VP8L signature, then 14 bits of width - 1 and 14 of height - 1.
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise SyntaxError("no WebP canvas size in the header")


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Image.DecompressionBombError(f"{width} x {height}")


def decoded(
    data: bytes, source_format: str, max_pixels: int, *, draft: int | None = None
) -> Image.Image:
    """``data`` decoded as ``source_format`` (from :func:`detect_format`) and
    turned upright, its size checked on the header before any pixel is
    decoded (a small PNG can inflate to gigabytes); a JPEG decoded at a
    fraction of its size when ``draft`` (the long edge kept) allows. Raises
    :class:`ImageRefused` ``image_too_large`` or ``image_corrupt``. Every
    uploaded picture (capture, licence photo, card) is opened here."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check only warns below twice its limit; ours
            # is an error, checked on the header before decoding.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if source_format == "WEBP":
                check_pixels(webp_canvas_size(data), max_pixels)  # before Pillow allocates it
            image = Image.open(io.BytesIO(data), formats=[source_format])
            # PNG and JPEG are opened by their headers alone; nothing is decoded yet.
            check_pixels(image.size, max_pixels)
            if draft:
                image.draft("RGB", (draft, draft))
            # An animated WebP: the first frame, like a still picture (load()
            # decodes only the current frame, and the re-encode keeps one).
            image.load()
            # In place: a copy of a 3-megapixel picture costs what a third of
            # its encode does, and most captures need no turning at all.
            ImageOps.exif_transpose(image, in_place=True)
    except Image.DecompressionBombError:
        # Pillow raises this itself, at open, for the most absurd sizes.
        raise ImageRefused(
            422, "image_too_large", params={"megapixels": max_pixels // 10**6}
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Truncated, corrupt, or lying about itself.
        raise ImageRefused(422, "image_corrupt") from None
    return image


def process(
    data: bytes,
    *,
    encoding: Encoding = Encoding(),
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> ProcessedImage:
    """Check, decode and re-encode an uploaded capture. CPU-bound: the server
    runs it in a worker process (see ``capture.ingest_pool``)."""
    if len(data) > max_bytes:
        raise ImageRefused(413, "capture_too_large", params={"limit_mb": max_bytes // 2**20})
    if not data:
        raise ImageRefused(422, "image_corrupt")
    source_format = detect_format(data)
    image = decoded(data, source_format, max_pixels)
    # The JPEG's own sampling, still known after the turn (done in place).
    subsampling = _chroma_subsampling(image)

    picture = _normalised_mode(image, encoding)
    # Pillow's JPEG encoder falls back to the source's own comment when none
    # is given: nothing read from the upload may ride along.
    picture.info = {}
    del image
    # From the decoded picture: a reduced decode (``Image.draft``, JPEG at
    # 1/4 scale) was measured at 15 ms against 19 for the whole picture, as
    # most of a JPEG decode is entropy decoding, which no scale skips. A box
    # reduction of the pixels already in memory to the nearest whole factor,
    # then Lanczos, costs 6 ms (reducing_gap 2, which reduces less, 10 ms).
    scale = THUMBNAIL_EDGE / max(picture.size)
    if scale < 1:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        thumbnail = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)
    else:
        thumbnail = picture
    return ProcessedImage(
        image=_encode(picture, encoding, encoding.quality, subsampling),
        thumbnail=_encode(thumbnail, encoding, encoding.thumbnail_quality, subsampling),
        width=picture.width,
        height=picture.height,
        thumbnail_width=thumbnail.width,
        thumbnail_height=thumbnail.height,
        source_format=source_format,
        source_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=encoding.media_type,
        extension=encoding.extension,
    )


def _normalised_mode(image: Image.Image, encoding: Encoding) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if encoding.format == "WEBP" and has_alpha:
        return image.convert("RGBA")
    if has_alpha:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        alpha = rgba.getchannel("A")
        if alpha.getextrema()[0] == 255:  # a screenshot saved with an opaque alpha
            return rgba.convert("RGB")
        # JPEG has no alpha: flatten onto white like a page background.
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=alpha)
        return background
    if image.mode == "RGB":
        return image
    return image.convert("RGB")  # L, P, CMYK, I;16...


def _chroma_subsampling(image: Image.Image) -> int:
    """Pillow's ``subsampling`` for the re-encode: a JPEG's own (its colour
    is already at that resolution, nothing finer is left to keep: 4:2:0 then
    encodes in 11 ms instead of 17), otherwise full chroma (4:4:4)."""
    if image.format == "JPEG":
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling in (0, 1, 2):
            return sampling
    return 0


def _encode(image: Image.Image, encoding: Encoding, quality: int, subsampling: int = 0) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile=, comment= or other info is passed on: nothing
    # but pixels leave.
    if encoding.format == "WEBP":
        # Method 0: measured 81 ms against 209 ms for method 4 on a
        # 1170 x 2532 capture, for a 7 % larger file; the host is waiting.
        image.save(out, format="WEBP", quality=quality, method=0)
    else:
        image.save(out, format="JPEG", quality=quality, subsampling=subsampling, optimize=False)
    return out.getvalue()
