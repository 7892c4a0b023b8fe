"""Checklists (事前チェックリスト, seed 000): an admin defines them; the host of
a meeting in IT重説 mode opens one, ticks its items one by one with the
guest, and may collapse it (「とじる」). The meeting keeps its own copy of
the title and items, so an admin's later edit or deletion changes no
meeting and no record.

Every change is a meeting event (``checklist.*``), which the guest's page
hears as the host's page does, and the timeline and the record show.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import lifecycle
from server.storage.models import (
    Checklist,
    Meeting,
    MeetingChecklist,
    MeetingChecklistItem,
    User,
    utcnow,
)
from server.web.errors import ApiError

TITLE_LENGTH = 100
ITEM_LENGTH = 200
MAX_ITEMS = 50


# -- the admin's checklists ---------------------------------------------------


async def list_checklists(db: AsyncSession) -> list[Checklist]:
    return list(await db.scalars(select(Checklist).order_by(Checklist.title, Checklist.id)))


async def get_checklist(db: AsyncSession, checklist_id: int) -> Checklist:
    found = await db.get(Checklist, checklist_id)
    if found is None:
        raise ApiError(404, "checklist_not_found")
    return found


def checked(title: str, items: list[str]) -> tuple[str, list[str]]:
    """A checklist's title and items as stored: trimmed, blank items
    dropped (a form's empty lines), each within its length."""
    title = title.strip()
    if not title:
        raise ApiError(422, "checklist_title_required")
    if len(title) > TITLE_LENGTH:
        raise ApiError(422, "checklist_title_too_long", params={"limit": TITLE_LENGTH})
    kept = [item.strip() for item in items if item.strip()]
    if not kept:
        raise ApiError(422, "checklist_items_required")
    if len(kept) > MAX_ITEMS:
        raise ApiError(422, "checklist_too_many_items", params={"limit": MAX_ITEMS})
    if any(len(item) > ITEM_LENGTH for item in kept):
        raise ApiError(422, "checklist_item_too_long", params={"limit": ITEM_LENGTH})
    return title, kept


def items_from_text(text: str) -> list[str]:
    """The console's form: one item a line."""
    return text.splitlines()


async def create_checklist(db: AsyncSession, title: str, items: list[str]) -> Checklist:
    title, items = checked(title, items)
    checklist = Checklist(title=title, items=items)
    db.add(checklist)
    await db.flush()
    return checklist


async def update_checklist(
    db: AsyncSession, checklist: Checklist, title: str, items: list[str]
) -> None:
    checklist.title, checklist.items = checked(title, items)
    await db.flush()


async def delete_checklist(db: AsyncSession, checklist: Checklist) -> None:
    # Meetings that opened it keep their copy; its checklist_id goes NULL.
    await db.delete(checklist)
    await db.flush()


# -- a meeting's checklists ---------------------------------------------------


async def of_meeting(db: AsyncSession, meeting_id: int) -> list[MeetingChecklist]:
    """Every checklist opened in the meeting, oldest first; the last is the
    one on screen."""
    query = (
        select(MeetingChecklist)
        .where(MeetingChecklist.meeting_id == meeting_id)
        .order_by(MeetingChecklist.id)
    )
    return list(await db.scalars(query))


async def current(db: AsyncSession, meeting_id: int) -> MeetingChecklist | None:
    """The checklist on screen: the one opened last."""
    query = (
        select(MeetingChecklist)
        .where(MeetingChecklist.meeting_id == meeting_id)
        .order_by(MeetingChecklist.id.desc())
        .limit(1)
    )
    return await db.scalar(query)


def meeting_checklist_json(opened: MeetingChecklist) -> dict[str, Any]:
    """A meeting's checklist as both sides' pages, the API and the record
    export show it."""
    return {
        "id": opened.id,
        "checklist_id": opened.checklist_id,
        "title": opened.title,
        "opened_at": opened.opened_at.isoformat(),
        "opened_by": opened.opened_by,
        "collapsed": opened.collapsed,
        "items": [
            {
                "id": item.id,
                "n": item.position,
                "text": item.text,
                "ticked": item.ticked_at is not None,
                "ticked_at": item.ticked_at.isoformat() if item.ticked_at else None,
                "ticked_by": item.ticked_by,
            }
            for item in opened.items
        ],
    }


def check_can_change(meeting: Meeting, user: User) -> None:
    """Only the meeting's own host works its checklist, while it runs and
    while it is in IT重説 mode."""
    if meeting.host_id != user.id:
        raise ApiError(403, "not_meeting_host")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if not meeting.it_mode:
        raise ApiError(409, "it_mode_off")


async def open_checklist(
    db: AsyncSession, meeting: Meeting, user: User, checklist_id: int
) -> MeetingChecklist:
    """Open an admin's checklist in the meeting (a copy of it). Opening the
    one already on screen again changes nothing."""
    check_can_change(meeting, user)
    source = await get_checklist(db, checklist_id)
    shown = await current(db, meeting.id)
    if shown is not None and shown.checklist_id == source.id:
        if shown.collapsed:
            await set_collapsed(db, meeting, user, shown.id, False)
        return shown
    opened = MeetingChecklist(
        meeting_id=meeting.id,
        checklist_id=source.id,
        title=source.title,
        opened_by=user.label,
        items=[
            MeetingChecklistItem(position=n, text=text) for n, text in enumerate(source.items, 1)
        ],
    )
    db.add(opened)
    await db.flush()
    await lifecycle.record_event(
        db,
        meeting,
        "checklist.opened",
        {
            "checklist": meeting_checklist_json(opened),
            "title": opened.title,
            "by": user.label,
        },
    )
    return opened


async def meeting_checklist(
    db: AsyncSession, meeting: Meeting, meeting_checklist_id: int
) -> MeetingChecklist:
    found = await db.get(MeetingChecklist, meeting_checklist_id)
    if found is None or found.meeting_id != meeting.id:
        raise ApiError(404, "checklist_not_found")
    return found


async def tick(
    db: AsyncSession,
    meeting: Meeting,
    user: User,
    meeting_checklist_id: int,
    item_id: int,
    ticked: bool,
) -> MeetingChecklist:
    """Tick an item (or undo a tick). Ticking a ticked item again keeps its
    first time; nothing is recorded for a change that changes nothing."""
    check_can_change(meeting, user)
    opened = await meeting_checklist(db, meeting, meeting_checklist_id)
    item = next((item for item in opened.items if item.id == item_id), None)
    if item is None:
        raise ApiError(404, "checklist_item_not_found")
    if (item.ticked_at is not None) == ticked:
        return opened
    item.ticked_at = utcnow() if ticked else None
    item.ticked_by = user.label if ticked else None
    await db.flush()
    await lifecycle.record_event(
        db,
        meeting,
        "checklist.ticked" if ticked else "checklist.unticked",
        {
            "checklist_id": opened.id,
            "item_id": item.id,
            "n": item.position,
            "text": item.text,
            "by": user.label,
        },
    )
    return opened


async def set_collapsed(
    db: AsyncSession, meeting: Meeting, user: User, meeting_checklist_id: int, collapsed: bool
) -> MeetingChecklist:
    """「とじる」: the checklist shrinks to its title on both sides; the host
    may open it again."""
    check_can_change(meeting, user)
    opened = await meeting_checklist(db, meeting, meeting_checklist_id)
    if opened.collapsed == collapsed:
        return opened
    opened.collapsed = collapsed
    await db.flush()
    await lifecycle.record_event(
        db,
        meeting,
        "checklist.collapsed" if collapsed else "checklist.expanded",
        {"checklist_id": opened.id, "title": opened.title, "by": user.label},
    )
    return opened
