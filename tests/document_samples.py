"""PDFs for the document-share tests (issue #15), made in the test run so
nothing binary is committed: numbered pages (a large number on each, which
screenshots and pixels tell apart), a password-protected PDF and a broken one.

The encrypted PDF is written by hand with the standard security handler,
revision 2 (RC4, 40-bit key; PDF 1.7 spec 7.6.3, algorithms 2, 3 and 4):
a real one, which PDFium opens with the password "secret" and refuses
without it. No library here writes encrypted PDFs (pypdfium2 cannot).
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

# Algorithm 2's padding string.
PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def numbered_pdf(pages: int, size: tuple[int, int] = (1024, 768)) -> bytes:
    """A PDF of ``pages`` pages, each with its number in huge digits; the
    background's grey goes darker page by page, so pixels tell them apart."""
    font = ImageFont.load_default(size=size[1] // 2)
    images = []
    for number in range(1, pages + 1):
        shade = 255 - (number * 3) % 120
        image = Image.new("RGB", size, (shade, shade, 255))
        ImageDraw.Draw(image).text(
            (size[0] // 2, size[1] // 2), str(number), fill="black", font=font, anchor="mm"
        )
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=96)
    return out.getvalue()


def rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def padded(password: bytes) -> bytes:
    return (password + PAD)[:32]


def encrypted_pdf(user_password: bytes = b"secret", owner_password: bytes = b"owner") -> bytes:
    """A one-page PDF that opens only with ``user_password``."""
    file_id = hashlib.md5(b"tsunagu-encrypted-sample").digest()  # noqa: S324 (the format's)
    permissions = -4  # every permission; the password is what is tested
    owner_key = hashlib.md5(padded(owner_password)).digest()[:5]  # noqa: S324
    owner_entry = rc4(owner_key, padded(user_password))
    key = hashlib.md5(  # noqa: S324 (PDF's own algorithm 2)
        padded(user_password)
        + owner_entry
        + permissions.to_bytes(4, "little", signed=True)
        + file_id
    ).digest()[:5]
    user_entry = rc4(key, PAD)
    content = b"BT /F1 72 Tf 100 400 Td (secret) Tj ET"
    object_key = hashlib.md5(key + (4).to_bytes(3, "little") + (0).to_bytes(2, "little"))  # noqa: S324
    sealed = rc4(object_key.digest()[:10], content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 "
        b"/BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(sealed) + sealed + b"\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner_entry.hex().encode(), user_entry.hex().encode(), permissions),
    ]
    return _assemble(objects, b"/Encrypt 5 0 R /ID [<%s> <%s>]" % ((file_id.hex().encode(),) * 2))


def _assemble(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def broken_pdf() -> bytes:
    """Starts like a PDF, then is cut off: no objects, no cross-references."""
    return numbered_pdf(2)[:300]


def blank_pdf(width: float, height: float) -> bytes:
    """A one-page PDF, blank, whose page is ``width`` x ``height`` points."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(width, height).close()
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()
