"""Capture ingest: only real PNG, JPEG or WebP pictures get through, re-encoded
with nothing but their pixels; everything else is refused with its own code."""

from __future__ import annotations

import io
import math
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFont, ImageOps, ImageStat

from capture.ingest import THUMBNAIL_EDGE, Encoding, ImageRefused, process
from server.storage.blobs import LocalBlobStore, new_key

GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112


def picture(size=(1170, 2532), mode="RGB", colour=(30, 110, 80)) -> Image.Image:
    image = Image.new(mode, size, colour if mode == "RGB" else (*colour, 200))
    # Some detail, so encoders have something to do.
    for x in range(0, size[0], 97):
        image.paste(
            (250, 250, 250) if mode == "RGB" else (250, 250, 250, 255), (x, 0, x + 3, size[1])
        )
    return image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def refused(data: bytes, **limits) -> ImageRefused:
    with pytest.raises(ImageRefused) as error:
        process(data, **limits)
    return error.value


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming huge dimensions, with a tiny body: what a
    decompression bomb looks like before anything is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_a_phone_screenshot_is_re_encoded_with_a_thumbnail():
    source = encoded(picture(mode="RGBA"), "PNG")

    result = process(source)

    assert (result.width, result.height) == (1170, 2532)
    assert result.source_format == "PNG"
    assert result.media_type == "image/jpeg"
    stored = Image.open(io.BytesIO(result.image))
    assert stored.format == "JPEG"
    assert stored.size == (1170, 2532)
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "JPEG"
    assert thumb.size == (148, THUMBNAIL_EDGE)  # the shape kept: 1170 x 2532 scaled
    assert (result.thumbnail_width, result.thumbnail_height) == thumb.size
    assert len(result.sha256) == 64


def test_jpeg_and_webp_uploads_are_accepted_and_webp_output_can_be_chosen():
    jpeg = encoded(picture(), "JPEG", quality=90)
    webp = encoded(picture(), "WEBP", quality=80)
    assert process(webp).source_format == "WEBP"
    assert process(jpeg).extension == "jpg"
    as_webp = process(jpeg, encoding=Encoding(format="WEBP"))
    assert Image.open(io.BytesIO(as_webp.image)).format == "WEBP"
    assert (as_webp.extension, as_webp.media_type) == ("webp", "image/webp")


def text_page(size=(1170, 2532)) -> Image.Image:
    """Red prices, blue links and black text on white, as shops show them."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    for line, top in enumerate(range(40, size[1] - 40, 48)):
        colour = [(200, 0, 0), (0, 60, 200), (20, 20, 20)][line % 3]
        draw.text((30, top), "¥12,800 Order total Lorem ipsum 0123456789", fill=colour, font=font)
    return image


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two RGB pictures, in dB."""
    rms = ImageStat.Stat(ImageChops.difference(a, b)).rms
    return 10 * math.log10(255**2 / (sum(v * v for v in rms) / 3))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_coloured_text_stays_sharp(fmt):
    source = text_page()
    options = {"lossless": True} if fmt == "WEBP" else {}

    result = process(encoded(source, fmt, **options))

    stored = Image.open(io.BytesIO(result.image)).convert("RGB")
    # Measured: 37.5 dB with full-resolution chroma; 31.5 dB when colour is
    # halved (4:2:0), which blurs red and blue letters into their background.
    assert psnr(source, stored) > 35


def test_a_jpeg_upload_keeps_its_pixels():
    source = text_page((600, 900))
    upload = encoded(source, "JPEG", quality=95, subsampling=0)

    stored = Image.open(io.BytesIO(process(upload).image)).convert("RGB")

    assert psnr(source, stored) > 33


@pytest.mark.parametrize(
    ("size", "thumbnail"),
    [((1170, 2532), (148, 320)), ((2048, 1000), (320, 156)), ((200, 120), (200, 120))],
)
def test_thumbnails_fit_320_pixels_and_are_never_enlarged(size, thumbnail):
    result = process(encoded(picture(size), "PNG"))

    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.size == thumbnail == (result.thumbnail_width, result.thumbnail_height)
    # A shrunken copy of the picture, not a crop: the stripes' average colour.
    full = ImageStat.Stat(Image.open(io.BytesIO(result.image)).convert("RGB")).mean
    small = ImageStat.Stat(thumb.convert("RGB")).mean
    assert all(abs(a - b) < 4 for a, b in zip(full, small, strict=True))


def jpeg_markers(data: bytes) -> list[int]:
    """The marker codes of a JPEG file up to its image data (SOS)."""
    markers, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return markers


def test_nothing_but_pixels_leaves_a_jpeg_upload():
    exif = Image.Exif()
    exif[GPS_TAG] = {1: "N", 2: (35.0, 41.0, 22.0)}
    exif[0x010F] = "PhoneMaker"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encoded(
        picture((400, 300)),
        "JPEG",
        exif=exif.tobytes(),
        icc_profile=profile,
        comment=b"secret note",
    )
    assert {0xE1, 0xE2, 0xFE} <= set(jpeg_markers(source))  # EXIF, ICC and a comment

    result = process(source)

    for data in (result.image, result.thumbnail):
        markers = jpeg_markers(data)
        # Only JFIF's header (APP0) besides the image's own tables: no EXIF
        # (APP1), ICC (APP2) or other application data, no comment (COM).
        assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], markers
        assert b"secret note" not in data and b"PhoneMaker" not in data
        stored = Image.open(io.BytesIO(data))
        assert "icc_profile" not in stored.info and "comment" not in stored.info


def test_gps_and_other_exif_never_leave_but_orientation_is_applied():
    exif = Image.Exif()
    exif[GPS_TAG] = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}
    exif[ORIENTATION_TAG] = 6  # taken rotated: display turned 90 degrees
    exif[0x010F] = "PhoneMaker"
    source = encoded(picture((400, 300)), "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_TAG)

    result = process(source)

    stored = Image.open(io.BytesIO(result.image))
    assert not stored.getexif()
    assert b"PhoneMaker" not in result.image and b"Exif" not in result.image
    assert stored.size == (300, 400)  # upright, as the person saw it
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(source))).convert("RGB")
    assert psnr(upright, stored.convert("RGB")) > 30  # turned, not mirrored
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.size == (240, 320)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "image_corrupt"),
        (b"GIF89a" + b"\x00" * 64, 415, "unsupported_image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            415,
            "unsupported_image",
        ),
        (b"%PDF-1.7\n", 415, "unsupported_image"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, 422, "image_corrupt"),
    ],
)
def test_bad_uploads_get_their_own_code(data, status, code):
    error = refused(data)
    assert (error.status, error.code) == (status, code)


def test_a_real_gif_is_refused_by_its_content_whatever_it_is_called():
    gif = encoded(Image.new("P", (10, 10)), "GIF")  # e.g. uploaded as "screen.png"
    assert refused(gif).code == "unsupported_image"


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("JPEG", {}), ("WEBP", {"quality": 80}), ("WEBP", {"lossless": True})],
)
def test_truncated_images_are_refused_as_corrupt(fmt, options):
    whole = encoded(picture((600, 800)), fmt, **options)
    assert refused(whole[: len(whole) // 2]).code == "image_corrupt"


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    bomb = png_bomb(60_000, 60_000)  # 3.6 gigapixels in a ~100 byte file
    assert len(bomb) < 200
    error = refused(bomb)
    assert (error.status, error.code) == (422, "image_too_large")
    # Below Pillow's own threshold, our tighter cap must catch it too.
    assert refused(png_bomb(5000, 5000)).code == "image_too_large"


def webp_bomb(width: int, height: int, chunk: bytes = b"VP8X") -> bytes:
    """A WebP header claiming huge dimensions, with no picture behind it."""
    if chunk == b"VP8X":
        data = bytes([0x10, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
        data += (height - 1).to_bytes(3, "little")
    else:  # VP8L: signature, then 14 bits of width - 1 and of height - 1
        bits = (width - 1) | (height - 1) << 14
        data = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 5
    body = chunk + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


@pytest.mark.parametrize(
    ("mode", "options", "chunk"),
    [
        ("RGB", {"quality": 80}, b"VP8 "),
        ("RGB", {"lossless": True}, b"VP8L"),
        ("RGBA", {"quality": 80}, b"VP8X"),
    ],
)
def test_webp_from_the_snippet_is_accepted_in_each_flavour(mode, options, chunk):
    source = encoded(picture((390, 844), mode=mode), "WEBP", **options)
    assert source[12:16] == chunk

    result = process(source)

    assert result.source_format == "WEBP"
    assert (result.width, result.height) == (390, 844)
    assert Image.open(io.BytesIO(result.image)).size == (390, 844)


def test_an_animated_webp_keeps_its_first_frame_only():
    frames = [Image.new("RGB", (120, 80), colour) for colour in ("red", "blue", "green")]
    source = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(source)).n_frames == 3

    result = process(source)

    stored = Image.open(io.BytesIO(result.image))
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.size == (120, 80)
    red, green, blue = stored.convert("RGB").getpixel((60, 40))
    assert red > 200 and green < 50 and blue < 50


@pytest.mark.parametrize(
    "bomb",
    [
        webp_bomb(16_383, 16_383),  # the largest canvas WebP allows: 1 GB of RGBA
        webp_bomb(10_000, 10_000),  # below Pillow's own bomb threshold
        webp_bomb(16_384, 16_384, b"VP8L"),
    ],
    ids=["largest-canvas", "100-megapixels", "lossless"],
)
def test_a_webp_bomb_is_refused_by_its_header(bomb):
    assert len(bomb) < 50
    error = refused(bomb)
    assert (error.status, error.code) == (422, "image_too_large")


def test_a_webp_over_the_pixel_cap_never_reaches_the_decoder(monkeypatch):
    # A real 25-megapixel WebP is a few hundred bytes; Pillow's WebP decoder
    # would allocate its 100 MB canvas as soon as it was opened.
    source = encoded(Image.new("RGB", (5000, 5000), "white"), "WEBP", lossless=True)
    assert len(source) < 5000
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))

    assert refused(source).code == "image_too_large"
    assert opened == []
    assert process(encoded(picture((50, 50)), "WEBP")).width == 50
    assert len(opened) == 1  # the spy does see a WebP that is let through


@pytest.mark.parametrize(
    "data",
    [
        b"RIFF\x04\x00\x00\x00WEBP",  # nothing after the signature
        webp_bomb(100, 100)[:25],  # cut inside the header
        b"RIFF\x10\x00\x00\x00WEBPALPH\x04\x00\x00\x00\x00\x00\x00\x00",  # no size chunk
    ],
    ids=["signature-only", "cut-header", "no-size-chunk"],
)
def test_a_webp_whose_size_cannot_be_read_is_corrupt(data):
    error = refused(data)
    assert (error.status, error.code) == (422, "image_corrupt")


def test_an_oversized_body_is_refused_by_size():
    error = refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048, max_bytes=1024)
    assert (error.status, error.code) == (413, "capture_too_large")


def test_blobs_are_stored_whole_under_fresh_keys(tmp_path):
    store = LocalBlobStore(tmp_path)
    key = new_key("webp")
    assert key != new_key("webp")
    store.put(key, b"image bytes")
    assert store.get(key) == b"image bytes"
    assert list((tmp_path / "tmp").iterdir()) == []  # no temporary file left behind
    store.delete(key)
    assert store.get(key) is None
    with pytest.raises(ValueError):
        store.put("../escape", b"x")
