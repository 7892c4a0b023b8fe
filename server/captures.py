"""Captures in a meeting: stored blobs first, then the row and its event."""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from capture.ingest import ProcessedImage, process
from capture.storage import BlobStore, new_key
from server import meetings
from server.errors import ApiError
from server.models import Capture, Guest, Meeting, User


@dataclass(frozen=True)
class PageInfo:
    """Where the guest was, as their browser reported it (untrusted)."""

    url: str
    title: str
    viewport_width: int = 0
    viewport_height: int = 0
    device_pixel_ratio: float = 1.0


async def live_meeting_of(db: AsyncSession, guest: Guest) -> Meeting:
    """The meeting a guest may send to right now, or 409 saying why not."""
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    if meeting is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    return meeting


def capture_urls(capture: Capture) -> dict[str, str]:
    return {
        "image_url": f"/api/v1/captures/{capture.id}/image",
        "thumbnail_url": f"/api/v1/captures/{capture.id}/thumbnail",
    }


async def add_capture(app: Starlette, guest_id: int, data: bytes, page: PageInfo) -> Capture:
    """Check and re-encode the upload, store the blobs, then record it.

    The row is written only once both blobs are safely on disk; if writing
    the row fails, the blobs are removed again, so nothing half-stored stays.
    """
    async with app.state.db() as db:
        guest = await db.get(Guest, guest_id)
        assert guest is not None
        await live_meeting_of(db, guest)  # refuse early, before the CPU work
    processed: ProcessedImage = await anyio.to_thread.run_sync(process, data)
    store: BlobStore = app.state.blobs
    image_key, thumbnail_key = new_key(processed.extension), new_key(processed.extension)
    await anyio.to_thread.run_sync(store.put, image_key, processed.image)
    await anyio.to_thread.run_sync(store.put, thumbnail_key, processed.thumbnail)
    try:
        async with meetings.transaction(app) as db:
            guest = await db.get(Guest, guest_id)
            assert guest is not None
            meeting = await live_meeting_of(db, guest)  # it may have ended meanwhile
            capture = Capture(
                meeting_id=meeting.id,
                guest_id=guest.id,
                url=page.url,
                title=page.title,
                viewport_width=page.viewport_width,
                viewport_height=page.viewport_height,
                device_pixel_ratio=page.device_pixel_ratio,
                width=processed.width,
                height=processed.height,
                thumbnail_width=processed.thumbnail_width,
                thumbnail_height=processed.thumbnail_height,
                source_format=processed.source_format,
                source_bytes=processed.source_bytes,
                sha256=processed.sha256,
                media_type=processed.media_type,
                image_key=image_key,
                thumbnail_key=thumbnail_key,
            )
            db.add(capture)
            await db.flush()
            await meetings.record_event(
                db,
                meeting,
                "capture.created",
                {
                    "capture_id": capture.id,
                    "url": page.url,
                    "title": page.title,
                    "width": capture.width,
                    "height": capture.height,
                    **capture_urls(capture),
                },
            )
    except BaseException:
        await anyio.to_thread.run_sync(store.delete, image_key)
        await anyio.to_thread.run_sync(store.delete, thumbnail_key)
        raise
    return capture


async def record_page(app: Starlette, guest_id: int, page: PageInfo) -> None:
    """A page the guest opened (or moved to in a single-page app)."""
    async with meetings.transaction(app) as db:
        guest = await db.get(Guest, guest_id)
        assert guest is not None
        meeting = await live_meeting_of(db, guest)
        await meetings.record_event(
            db, meeting, "page.visited", {"url": page.url, "title": page.title}
        )


async def get_capture(db: AsyncSession, user: User, capture_id: int) -> Capture:
    """A capture from a meeting the user may see; anyone else's is not found."""
    capture = await db.scalar(
        select(Capture)
        .join(Meeting, Meeting.id == Capture.meeting_id)
        .where(Capture.id == capture_id, meetings.visible_to(user))
    )
    if capture is None:
        raise ApiError(404, "capture_not_found")
    return capture


async def list_captures(db: AsyncSession, meeting_id: int) -> list[Capture]:
    query = select(Capture).where(Capture.meeting_id == meeting_id).order_by(Capture.id.desc())
    return list(await db.scalars(query))
