"""A host's 宅建士証 (real-estate licence) photo (seed 000: registered under
the user's own details, shown to the customer in IT重説 mode).

The upload goes through the capture ingest (``capture/ingest.py``, in its
worker pool): checked by its bytes, size and pixel limits before decoding,
decoded, re-encoded, every piece of metadata (EXIF with GPS, comments)
dropped. Only JPEG and PNG are taken, as the seed's form does. The photo is
kept in the blob store; its row names it.

Who may see it: the host themself, admins, and the guests of a running
meeting of that host in IT重説 mode, nobody else.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from capture.ingest import ProcessedImage, detect_format
from server.storage import pictures
from server.storage.models import LicencePhoto, Meeting, User, utcnow
from server.web.errors import ApiError
from server.web.services import services

FORMATS = ("JPEG", "PNG")


async def find(db: AsyncSession, user_id: int) -> LicencePhoto | None:
    return await db.get(LicencePhoto, user_id)


async def ingest(app: Starlette, data: bytes) -> ProcessedImage:
    """The upload checked and re-encoded as captures are; the format is
    read from the bytes (a GIF or WebP is refused whatever its name)."""
    with pictures.ingest_refusals({"unsupported_image": "licence_photo_format"}):
        if not data:
            raise ApiError(422, "image_corrupt")
        if detect_format(data) not in FORMATS:
            raise ApiError(415, "licence_photo_format")
        return await services(app).ingest.process(data)


async def point_at(
    app: Starlette, user: User, key: str, processed: ProcessedImage
) -> tuple[LicencePhoto, str | None]:
    """Point the user's row at the stored ``key``; returns it and the key
    it named before (``None`` for a first photo)."""
    old_key = None
    async with services(app).db.begin() as db:
        photo = await find(db, user.id)
        if photo is None:
            photo = LicencePhoto(user_id=user.id)
            db.add(photo)
        else:
            old_key = photo.blob_key
        photo.blob_key = key
        photo.content_type = processed.media_type
        photo.width, photo.height = processed.width, processed.height
        photo.updated_at = utcnow()
    return photo, old_key


async def replace(app: Starlette, user: User, data: bytes) -> LicencePhoto:
    """Store the photo and point the user's row at it; the old photo's blob
    goes once the new row is committed (a failure keeps the old photo)."""
    processed = await ingest(app, data)
    del data

    async def point(key: str) -> tuple[LicencePhoto, str | None]:
        try:
            return await point_at(app, user, key, processed)
        except IntegrityError:
            # Another upload (a second tab) made the user's first row between
            # this one's read and its insert: this one replaces it instead.
            return await point_at(app, user, key, processed)

    return await pictures.replace(
        app, processed.image, processed.media_type, processed.extension, point
    )


async def remove(app: Starlette, user: User) -> None:
    async with services(app).db.begin() as db:
        photo = await find(db, user.id)
        if photo is None:
            raise ApiError(404, "licence_photo_missing")
        key = photo.blob_key
        await db.delete(photo)
    await pictures.delete(app, key)


async def image(app: Starlette, photo: LicencePhoto) -> bytes:
    return await pictures.read(app, photo.blob_key, "licence_photo_missing")


async def shown_in(db: AsyncSession, meeting: Meeting) -> LicencePhoto | None:
    """The licence photo a meeting's guests see: its host's, while the
    meeting runs in IT重説 mode; ``None`` otherwise."""
    if not meeting.it_mode or meeting.state == "ended":
        return None
    return await find(db, meeting.host_id)
