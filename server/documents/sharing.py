"""A document shown in a meeting (資料共有, issue #15): the host opens one,
turns its pages, lets the guests download it, closes it.

What the meeting shows is a ``MeetingDocument`` row (one open at a time)
and the events that tell both sides at once: ``document.opened``,
``document.page``, ``document.closed``, ``document.download_allowed`` (for
every guest), and ``document.guest_view`` (for the host only: whether a
guest follows the host's page or browses on their own).

Every page change is an event, because it is what moves the guests' pages
and a guest who reconnects catches up from the events; the host's page
sends a change once the page has stayed a moment (``PAGE_SETTLE_MS`` in
server/static/documents.js), so flipping through ten pages to reach the
eleventh is one event, not ten. The timeline groups consecutive page
events of a document into one line, and the record counts the time each
page was shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.documents import library
from server.meetings import lifecycle
from server.storage.models import (
    Document,
    Guest,
    Meeting,
    MeetingDocument,
    MeetingEvent,
    User,
    utcnow,
)
from server.web.errors import ApiError

EVENTS = ("document.opened", "document.page", "document.closed", "document.download_allowed")


def require_host(meeting: Meeting, user: User) -> None:
    """The meeting's own host shows documents (they are the one presenting)."""
    if meeting.host_id != user.id:
        raise ApiError(403, "document_not_host")


def require_running(meeting: Meeting) -> None:
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")


async def current(db: AsyncSession, meeting_id: int) -> MeetingDocument | None:
    """The document open in the meeting now, if any."""
    return await db.scalar(
        select(MeetingDocument)
        .where(MeetingDocument.meeting_id == meeting_id, MeetingDocument.closed_at.is_(None))
        .order_by(MeetingDocument.id.desc())
        .limit(1)
    )


async def open_document(
    db: AsyncSession, meeting: Meeting, user: User, document_id: int, page: int = 1
) -> MeetingDocument:
    """Show a document (closing the one shown, if another)."""
    require_host(meeting, user)
    require_running(meeting)
    document = await library.get_document(db, user, document_id)
    if document.state == "failed":
        raise ApiError(409, "document_failed")
    page = min(max(1, page), document.pages)
    shown = await current(db, meeting.id)
    if shown is not None:
        if shown.document_id == document.id:
            return shown
        await close(db, meeting, user, shown)
    opened = MeetingDocument(
        meeting_id=meeting.id,
        document_id=document.id,
        title=document.title,
        pages=document.pages,
        page=page,
        opened_by=user.label,
    )
    db.add(opened)
    await db.flush()
    await lifecycle.record_event(
        db,
        meeting,
        "document.opened",
        {
            "document_id": document.id,
            "title": document.title,
            "pages": document.pages,
            "page": page,
        },
    )
    return opened


async def shown_or_409(db: AsyncSession, meeting: Meeting, document_id: int) -> MeetingDocument:
    shown = await current(db, meeting.id)
    if shown is None or shown.document_id != document_id:
        raise ApiError(409, "document_not_open")
    return shown


async def turn(
    db: AsyncSession, meeting: Meeting, user: User, document_id: int, page: int
) -> MeetingDocument:
    require_host(meeting, user)
    require_running(meeting)
    shown = await shown_or_409(db, meeting, document_id)
    if not 1 <= page <= shown.pages:
        raise ApiError(422, "document_page_not_found")
    if page != shown.page:
        shown.page = page
        await lifecycle.record_event(
            db, meeting, "document.page", {"document_id": document_id, "page": page}
        )
    return shown


async def allow_download(
    db: AsyncSession, meeting: Meeting, user: User, document_id: int, allowed: bool
) -> MeetingDocument:
    require_host(meeting, user)
    require_running(meeting)
    shown = await shown_or_409(db, meeting, document_id)
    if shown.download_allowed != allowed:
        shown.download_allowed = allowed
        await lifecycle.record_event(
            db,
            meeting,
            "document.download_allowed",
            {"document_id": document_id, "allowed": allowed},
        )
    return shown


async def close(
    db: AsyncSession, meeting: Meeting, user: User, shown: MeetingDocument | None = None
) -> None:
    """Close the document shown (none shown: nothing happens)."""
    require_host(meeting, user)
    shown = shown or await current(db, meeting.id)
    if shown is None:
        return
    shown.closed_at = utcnow()
    await lifecycle.record_event(db, meeting, "document.closed", {"document_id": shown.document_id})


# -- the guest's side ------------------------------------------------------------


async def guest_meeting(db: AsyncSession, guest: Guest) -> Meeting:
    """The meeting the guest is in, running. Not their socket's presence: a
    phone whose connection drops for a moment still gets its pages."""
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id is not None else None
    if meeting is None:
        raise ApiError(409, "not_connected")
    require_running(meeting)
    return meeting


async def shown_to_guest(db: AsyncSession, guest: Guest, document_id: int) -> Document:
    """The document, only while it is open in the guest's meeting."""
    meeting = await guest_meeting(db, guest)
    shown = await current(db, meeting.id)
    if shown is None or shown.document_id != document_id:
        raise ApiError(404, "document_not_found")
    document = await db.get(Document, document_id)
    if document is None:
        raise ApiError(404, "document_not_found")
    return document


async def guest_view(
    db: AsyncSession, guest: Guest, document_id: int, page: int, following: bool
) -> None:
    """A guest browsing on their own, or back on the host's page: the host
    is told (``document.guest_view``, host only). Only a change is recorded."""
    meeting = await guest_meeting(db, guest)
    meeting_id = meeting.id
    shown = await current(db, meeting_id)
    if shown is None or shown.document_id != document_id:
        raise ApiError(409, "document_not_open")
    if not 1 <= page <= shown.pages:
        raise ApiError(422, "document_page_not_found")
    payload = {
        "document_id": document_id,
        "guest_id": guest.id,
        "page": page,
        "following": following,
    }
    # This guest's own last view (another guest's in between changes nothing).
    last = {view["guest_id"]: view for view in await guest_views(db, meeting_id, shown)}
    if last.get(guest.id) == payload:
        return
    await lifecycle.record_event(db, meeting, "document.guest_view", payload)


# -- what the clients are told --------------------------------------------------


async def state(db: AsyncSession, meeting: Meeting, *, for_guest: bool) -> dict[str, Any]:
    """The document open now (``None`` when none) and how far its pages are
    made; for the host, which guests follow along."""
    shown = await current(db, meeting.id)
    if shown is None or shown.document_id is None:
        return {"document": None}
    document = await db.get(Document, shown.document_id)
    out: dict[str, Any] = {
        "document": {
            "id": shown.document_id,
            "title": shown.title,
            "pages": shown.pages,
            "page": shown.page,
            "download_allowed": shown.download_allowed,
            "pages_ready": document.pages_done if document else 0,
            "state": document.state if document else "failed",
        }
    }
    if not for_guest:
        out["guest_views"] = await guest_views(db, meeting.id, shown)
    return out


async def guest_views(
    db: AsyncSession, meeting_id: int, shown: MeetingDocument
) -> list[dict[str, Any]]:
    """Each guest's last reported view of the document open now."""
    events = await db.scalars(
        select(MeetingEvent)
        .where(
            MeetingEvent.meeting_id == meeting_id,
            MeetingEvent.type == "document.guest_view",
            MeetingEvent.created_at >= shown.opened_at,
        )
        .order_by(MeetingEvent.id)
    )
    views: dict[int, dict[str, Any]] = {}
    for event in events:
        if event.payload.get("document_id") == shown.document_id:
            views[event.payload["guest_id"]] = event.payload
    return list(views.values())


# -- the record ------------------------------------------------------------------


async def for_record(
    db: AsyncSession, meeting: Meeting, events: list[MeetingEvent]
) -> list[dict[str, Any]]:
    """Each document shown in the meeting, with the pages shown and for how
    long (from the page events), in the order they were opened."""
    shown = list(
        await db.scalars(
            select(MeetingDocument)
            .where(MeetingDocument.meeting_id == meeting.id)
            .order_by(MeetingDocument.id)
        )
    )
    end = meeting.ended_at or utcnow()
    entries = []
    for item in shown:
        closed = item.closed_at or end
        # The page shown from each moment: the opening's, then each change.
        moments: list[tuple[datetime, int]] = []
        for event in events:
            if not item.opened_at <= event.created_at <= closed:
                continue
            if event.payload.get("document_id") != item.document_id:
                continue
            if event.type == "document.opened":
                moments.append((event.created_at, int(event.payload.get("page", 1))))
            elif event.type == "document.page":
                moments.append((event.created_at, int(event.payload["page"])))
        if not moments:
            moments = [(item.opened_at, 1)]
        seconds: dict[int, float] = {}
        order: list[int] = []
        for (at, page), (until, _) in zip(moments, [*moments[1:], (closed, 0)], strict=True):
            seconds[page] = seconds.get(page, 0.0) + max(0.0, (until - at).total_seconds())
            if not order or order[-1] != page:
                order.append(page)
        entries.append(
            {
                "document_id": item.document_id,
                "title": item.title,
                "pages": item.pages,
                "opened_at": item.opened_at,
                "closed_at": item.closed_at,
                "opened_by": item.opened_by,
                "download_allowed": item.download_allowed,
                "viewed": [
                    {"page": page, "seconds": round(seconds[page])} for page in sorted(seconds)
                ],
                "sequence": order,
            }
        )
    return entries
