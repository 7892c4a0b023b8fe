"""Captures in a meeting: stored blobs first, then the row and its event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from capture.ingest import ProcessedImage
from server.meetings import lifecycle as meetings
from server.storage.blobs import BlobStore, new_key
from server.storage.models import Capture, Guest, Meeting, User
from server.storage.pictures import ingest_refusals
from server.web.errors import ApiError
from server.web.services import services

# As stored and shown (the columns' sizes); longer ones are shortened.
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 500
# As sent: a guest on a page with a long address or title must still be able
# to send it, but nothing a browser shows is longer than this.
URL_LIMIT = 16 * 1024
TITLE_LIMIT = 4 * 1024
ELLIPSIS = "…"
# C0 and C1 controls (with DEL), and the line and paragraph separators that
# would break a line in the host's list just the same.
BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Lone surrogates: JSON can smuggle them in, no database can store them.
SURROGATES = re.compile(r"[\ud800-\udfff]")
SPACES = re.compile(r"[ \t\n\r\f\v]+")


@dataclass(frozen=True)
class PageInfo:
    """Where the guest was, as their browser reported it (untrusted), in the
    trimmed form that is stored and shown: build it with :meth:`reported`."""

    url: str
    title: str
    viewport_width: int = 0
    viewport_height: int = 0
    device_pixel_ratio: float = 1.0
    # "button": the guest tapped send; "live_view": the host saved a moment
    # of the live view (issue #16) and the guest's snippet made the capture.
    origin: str = "button"

    @classmethod
    def reported(
        cls,
        url: str,
        title: str = "",
        viewport_width: int = 0,
        viewport_height: int = 0,
        device_pixel_ratio: float = 1.0,
        origin: str = "button",
    ) -> PageInfo:
        """The page as a guest's browser reported it, shortened rather than
        refused, so a guest on any page can send: see :func:`trimmed_url`
        and :func:`trimmed_title`. Only absurd lengths are refused."""
        if len(url) > URL_LIMIT:
            raise ApiError(422, "url_too_long", params={"limit": URL_LIMIT})
        if len(title) > TITLE_LIMIT:
            raise ApiError(422, "title_too_long", params={"limit": TITLE_LIMIT})
        return cls(
            trimmed_url(url),
            trimmed_title(title),
            viewport_width,
            viewport_height,
            device_pixel_ratio,
            origin,
        )


def shortened(text: str, limit: int) -> str:
    """``text``, or its first ``limit - 1`` characters and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def trimmed_url(url: str) -> str:
    """Control characters removed (browsers drop them from addresses too),
    at most 2,048 characters."""
    return shortened(SURROGATES.sub("", BREAKS.sub("", url)).strip(" "), MAX_URL_LENGTH)


def trimmed_title(title: str) -> str:
    """One line: control characters and line breaks become spaces, runs of
    spaces one space (as browsers show titles); at most 500 characters."""
    line = SPACES.sub(" ", BREAKS.sub(" ", SURROGATES.sub("\ufffd", title))).strip(" ")
    return shortened(line, MAX_TITLE_LENGTH)


async def live_meeting_of(db: AsyncSession, guest: Guest) -> Meeting:
    """The meeting a guest may send to right now, or 409 saying why not."""
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    if meeting is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    return meeting


def capture_urls(capture: Capture) -> dict[str, str]:
    """Where a capture's image and thumbnail are served (to its host)."""
    return {
        "image_url": f"/api/v1/captures/{capture.id}/image",
        "thumbnail_url": f"/api/v1/captures/{capture.id}/thumbnail",
    }


def capture_json(capture: Capture) -> dict[str, Any]:
    """A capture as its host sees it: its ``capture.created`` event, and the
    meeting page (the same shape, so the page's script shows both alike).
    The API's fuller resource is ``CaptureOut`` (``server/api/captures.py``)."""
    return {
        "capture_id": capture.id,
        "url": capture.url,
        "title": capture.title,
        "width": capture.width,
        "height": capture.height,
        # Whose page, and its viewport: the host's pointer on a capture
        # (issue #16) is placed in the capture's CSS pixels.
        "guest_id": capture.guest_id,
        "viewport_width": capture.viewport_width,
        "viewport_height": capture.viewport_height,
        **capture_urls(capture),
    }


async def add_capture(
    app: Starlette,
    guest_id: int,
    data: bytes,
    page: PageInfo,
    idempotency_key: str | None = None,
) -> tuple[Capture, bool]:
    """Check and re-encode the upload, store the blobs, then record it; the
    capture and whether it is new.

    The row is written only once both blobs are safely stored; if writing
    the row fails, the blobs are removed again, so nothing half-stored stays.
    With an ``idempotency_key``, a retry of a capture already stored (its
    201 lost on the way) returns that capture, and of two copies sent at
    once, the one that loses the race on the unique key removes its blobs
    and returns the winner's row: one row, one event, one pair of blobs.
    Call :func:`check_can_send` first, before reading the upload.
    """
    with ingest_refusals():
        processed: ProcessedImage = await services(app).ingest.process(data)
    del data  # the web process keeps no copy of the upload while it stores
    store: BlobStore = services(app).blobs
    image_key, thumbnail_key = new_key(processed.extension), new_key(processed.extension)
    await anyio.to_thread.run_sync(store.put, image_key, processed.image, processed.media_type)
    await anyio.to_thread.run_sync(
        store.put, thumbnail_key, processed.thumbnail, processed.media_type
    )
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
                idempotency_key=idempotency_key,
            )
            db.add(capture)
            await db.flush()
            payload = capture_json(capture)
            if page.origin == "live_view":
                payload["origin"] = "live_view"
            await meetings.record_event(db, meeting, "capture.created", payload)
    except BaseException as error:
        await anyio.to_thread.run_sync(store.delete, image_key)
        await anyio.to_thread.run_sync(store.delete, thumbnail_key)
        if idempotency_key and isinstance(error, IntegrityError):
            # The same capture, sent twice at once: the other copy won.
            async with services(app).db() as db:
                if winner := await find_by_key(db, guest_id, idempotency_key):
                    return winner, False
        raise
    return capture, True


async def check_can_send(
    db: AsyncSession, guest: Guest, idempotency_key: str | None
) -> Capture | None:
    """Refuse early, before the upload is read and decoded: 409 if the guest
    is not (or no longer) in a live meeting. A retry of a capture already
    stored returns that capture, and nothing more needs doing."""
    await live_meeting_of(db, guest)
    if idempotency_key:
        return await find_by_key(db, guest.id, idempotency_key)
    return None


async def find_by_key(db: AsyncSession, guest_id: int, idempotency_key: str) -> Capture | None:
    """The guest's capture stored under ``idempotency_key``, if any."""
    return await db.scalar(
        select(Capture).where(
            Capture.guest_id == guest_id, Capture.idempotency_key == idempotency_key
        )
    )


async def record_page(app: Starlette, guest_id: int, page: PageInfo) -> None:
    """A page the guest opened (or moved to in a single-page app)."""
    async with meetings.transaction(app) as db:
        guest = await db.get(Guest, guest_id)
        assert guest is not None
        meeting = await live_meeting_of(db, guest)
        await meetings.record_event(
            db,
            meeting,
            "page.visited",
            # Whose page: with several guests, the host's pointer on a capture
            # needs that capture's own guest still on it (issue #16).
            {"url": page.url, "title": page.title, "guest_id": guest.id},
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
