"""From an uploaded document (a PDF, or a PNG or JPEG picture) to page
images at two sizes, for document share (issue #15).

A document is checked once, before anything is stored (:func:`inspect`):
its kind by its first bytes, never its name; a PDF that needs a password,
that PDFium cannot read, with too many pages or absurd page sizes is
refused with a :class:`DocumentRefused`. Each page is then rasterised once
(:func:`render_page`): a large image that fits ``LARGE_EDGE`` on its long
side, for the stage and the guest's phone, and a thumbnail for the strip.

PDFium is not thread-safe: every call into it holds :data:`PDFIUM`, so
pages of two documents (or an upload's check and another's pages) take
turns. Encoding the JPEGs happens outside the lock.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from capture.ingest import SIGNATURES, Refused, check_pixels

# The stage of a laptop and a phone held sideways at 2x both fit in this.
LARGE_EDGE = 1600
THUMB_EDGE = 320
# As captures: JPEG through libjpeg-turbo with full-resolution chroma, so
# coloured text on slides stays sharp (see capture.ingest.Encoding).
LARGE_QUALITY = 85
THUMB_QUALITY = 75
MEDIA_TYPE = "image/jpeg"
# A page longer than this many times its width (or wider) is no slide nor
# sheet of paper; at LARGE_EDGE its short side would be a few pixels.
MAX_ASPECT = 20.0
# The largest page PDF allows (ISO 32000: 14,400 units, 200 inches, a side);
# PDFium reports the size a file claims, which may be anything.
MAX_PAGE_POINTS = 14_400.0
# How far into the file "%PDF-" may start (the format allows leading junk).
PDF_HEADER_WITHIN = 1024
# Office files, refused with a message saying what to upload instead.
OFFICE_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

# Every call into PDFium holds this lock.
PDFIUM = threading.Lock()
# Decoding an uploaded picture holds this one.
PICTURES = threading.Lock()


class DocumentRefused(Refused):
    """An upload that is no document we keep (turned into an API error by
    server/documents/library.py, so this module needs none)."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 200
    max_pixels: int = 40_000_000

    def too_large(self) -> DocumentRefused:
        return DocumentRefused(
            422,
            "document_too_large",
            {"pages": self.max_pages, "megapixels": round(self.max_pixels / 10**6)},
        )


@dataclass(frozen=True)
class Inspected:
    kind: str  # "pdf" | "PNG" | "JPEG"
    pages: int
    media_type: str  # of the original file


@dataclass(frozen=True)
class RenderedPage:
    large: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int


def kind_of(head: bytes) -> str:
    """``"pdf"``, ``"PNG"`` or ``"JPEG"`` from the file's first bytes."""
    if b"%PDF-" in head[:PDF_HEADER_WITHIN]:
        return "pdf"
    for name, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return name
    raise DocumentRefused(415, "document_type")


MEDIA_TYPES = {"pdf": "application/pdf", "PNG": "image/png", "JPEG": "image/jpeg"}


def inspect(path: Path, limits: Limits) -> Inspected:
    """Check an uploaded file before anything of it is stored."""
    with path.open("rb") as handle:
        kind = kind_of(handle.read(PDF_HEADER_WITHIN))
    if kind == "pdf":
        pages = _inspect_pdf(path, limits)
    else:
        _open_picture(path, kind, limits).close()
        pages = 1
    return Inspected(kind=kind, pages=pages, media_type=MEDIA_TYPES[kind])


def _open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open under the lock (the caller holds it)."""
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        # A PDF that opens only with its password (an owner password alone,
        # restricting printing or copying, opens and shows as in any viewer).
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise DocumentRefused(422, "document_encrypted") from None
        raise DocumentRefused(422, "document_broken") from None


def _inspect_pdf(path: Path, limits: Limits) -> int:
    with PDFIUM:
        document = _open_pdf(path)
        try:
            count = len(document)
            if count < 1:
                raise DocumentRefused(422, "document_broken")
            if count > limits.max_pages:
                raise limits.too_large()
            for index in range(count):
                try:
                    width, height = document.get_page_size(index)
                except pdfium.PdfiumError:
                    raise DocumentRefused(422, "document_broken") from None
                _check_page(width, height, limits)
        finally:
            document.close()
    return count


def _check_page(width: float, height: float, limits: Limits) -> None:
    """A PDF page's size in points. Its image is LARGE_EDGE on its long
    side whatever the size, so the pixel limit (a picture's) says nothing
    here: a page over PDF's own limit on a side, or absurdly long and
    narrow, is refused instead."""
    if not (width >= 1 and height >= 1):
        raise DocumentRefused(422, "document_broken")
    if max(width, height) > MAX_PAGE_POINTS:
        raise limits.too_large()
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise limits.too_large()


def _fit(width: float, height: float, edge: int) -> tuple[int, int]:
    scale = edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open_picture(path: Path, kind: str, limits: Limits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=[kind])
            # The header alone is read: a small PNG can inflate to gigabytes.
            check_pixels(image.size, limits.max_pixels)
        if max(image.size) / min(image.size) > MAX_ASPECT:
            raise limits.too_large()
        return image
    except Image.DecompressionBombError:
        raise limits.too_large() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DocumentRefused(422, "document_broken") from None


class Pages:
    """A document opened once to rasterise its pages one at a time
    (:meth:`render`), each call holding :data:`PDFIUM` only while PDFium
    draws: another upload's check may run between two pages. Opening a
    PDF per page would parse it again each time."""

    def __init__(self, path: Path, kind: str, limits: Limits = Limits()) -> None:
        self.path, self.kind, self.limits = path, kind, limits
        self.pdf: pdfium.PdfDocument | None = None
        if kind == "pdf":
            with PDFIUM:
                self.pdf = _open_pdf(path)

    def __len__(self) -> int:
        if self.pdf is None:
            return 1
        with PDFIUM:
            return len(self.pdf)

    def close(self) -> None:
        if self.pdf is not None:
            with PDFIUM:
                self.pdf.close()
            self.pdf = None

    def __enter__(self) -> Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def picture(self, index: int) -> Image.Image:
        """Page ``index`` (from 0) at the large size, decoded."""
        if self.pdf is not None:
            return _render_pdf_page(self.pdf, index)
        # A picture may be up to max_pixels (40 MP: 160 MB decoded): one is
        # decoded at a time, as PDFium draws one page at a time.
        with PICTURES:
            image = _open_picture(self.path, self.kind, self.limits)
            try:
                # A JPEG is decoded straight at a fraction of its size (1/2,
                # 1/4, 1/8), never below the large image's.
                image.draft(None, _fit(*image.size, LARGE_EDGE))
                image.load()
                picture = ImageOps.exif_transpose(image)
            except (OSError, ValueError, SyntaxError):
                raise DocumentRefused(422, "document_broken") from None
            picture = _flattened(picture)
            size = _fit(*picture.size, LARGE_EDGE)
            if size[0] < picture.width:
                picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
            return picture

    def render(self, index: int) -> RenderedPage:
        """Page ``index`` (from 0) at both sizes, encoded. A document that
        became unreadable since its check raises :class:`DocumentRefused`."""
        picture = self.picture(index)
        size = _fit(*picture.size, THUMB_EDGE)
        thumb = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        return RenderedPage(
            large=_jpeg(picture, LARGE_QUALITY),
            thumb=_jpeg(thumb, THUMB_QUALITY),
            width=picture.width,
            height=picture.height,
            thumb_width=thumb.width,
            thumb_height=thumb.height,
        )


def _render_pdf_page(document: pdfium.PdfDocument, index: int) -> Image.Image:
    with PDFIUM:
        try:
            page = document[index]
            try:
                width, height = page.get_size()
                scale = LARGE_EDGE / max(width, height)
                bitmap = page.render(scale=scale, may_draw_forms=True)
                # Copied out of PDFium's buffer before the bitmap is freed.
                picture = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                page.close()
        except pdfium.PdfiumError:
            raise DocumentRefused(422, "document_broken") from None
    return picture


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, transparency on white (a PNG logo on a slide's white)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, subsampling=0)
    return out.getvalue()
