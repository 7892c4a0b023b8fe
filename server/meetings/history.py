"""The history: past and present meetings a user may see, filtered,
searched (``search.py``) and paged.

Pages go by keyset on the meeting id (newest first): a page is "the N
meetings before id X" (or, going back, "after id X"), so a meeting that
starts while someone pages neither repeats a row nor hides one, and a deep
page costs no more than the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import search
from server.meetings.lifecycle import visible_to
from server.storage.models import Capture, Meeting, MeetingMemo, Site, User

PAGE_SIZE = 50
SOURCES = ("number", "snippet", "link")
STATES = ("waiting", "active", "ended")
EXCERPT_LENGTH = 80


@dataclass(frozen=True)
class Filters:
    """What the history is narrowed to; every field optional. Dates are
    whole days in the viewer's time zone (``utc_offset``: minutes east of
    UTC), both ends included."""

    query: str = ""
    date_from: date | None = None
    date_to: date | None = None
    host_id: int | None = None
    site_id: int | None = None
    source: str | None = None
    state: str | None = None
    utc_offset: int = 0

    def day_start(self, day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return local - timedelta(minutes=self.utc_offset)

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.date_from:
            found.append(Meeting.created_at >= self.day_start(self.date_from))
        if self.date_to:
            found.append(Meeting.created_at < self.day_start(self.date_to + timedelta(days=1)))
        if self.host_id is not None:
            found.append(Meeting.host_id == self.host_id)
        if self.site_id is not None:
            found.append(Meeting.site_id == self.site_id)
        if self.source:
            found.append(Meeting.source == self.source)
        if self.state:
            found.append(Meeting.state == self.state)
        if self.query:
            found.append(Meeting.id.in_(search.backend(dialect).matching(self.query)))
        return found


@dataclass
class Row:
    meeting: Meeting
    site_name: str | None
    captures: int
    memo_excerpt: str

    @property
    def duration(self) -> str | None:
        start, end = self.meeting.started_at, self.meeting.ended_at
        return clock(end - start) if start and end else None


def clock(span: timedelta) -> str:
    """``12:05`` or ``1:02:05``, as the meeting page's elapsed time."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    # Cursors: the id to page "before" (older) and "after" (newer), if any.
    older: int | None = None
    newer: int | None = None


def excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1] + "…"


async def find(
    db: AsyncSession,
    user: User,
    filters: Filters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the meetings ``user`` may see that pass ``filters``,
    newest first: the ``size`` before id ``before``, or after ``after``."""
    conditions = [visible_to(user), *filters.conditions(db.bind.dialect.name)]
    query: Select[Any] = select(Meeting).where(*conditions)
    if after is not None:
        # Going back towards the newest: the nearest ones after the cursor.
        query = query.where(Meeting.id > after).order_by(Meeting.id.asc())
    else:
        if before is not None:
            query = query.where(Meeting.id < before)
        query = query.order_by(Meeting.id.desc())
    found = list(await db.scalars(query.limit(size + 1)))
    more = len(found) > size
    found = found[:size]
    if after is not None:
        found.reverse()
    total = await db.scalar(select(func.count()).select_from(Meeting).where(*conditions))
    page = Page(total=total or 0)
    if found:
        # The way the query went, one row more says there is more; the
        # other way, ask.
        newest, oldest = found[0].id, found[-1].id
        if after is None:
            page.older = oldest if more else None
            page.newer = newest if await _exists(db, conditions, Meeting.id > newest) else None
        else:
            page.newer = newest if more else None
            page.older = oldest if await _exists(db, conditions, Meeting.id < oldest) else None
    page.rows = await rows_for(db, found)
    return page


async def _exists(db: AsyncSession, conditions: list, extra: ColumnElement[bool]) -> bool:
    return (await db.scalar(select(Meeting.id).where(*conditions, extra).limit(1))) is not None


async def rows_for(db: AsyncSession, found: list[Meeting]) -> list[Row]:
    """What the history's columns show, for a page's meetings: three
    grouped queries, not three per row."""
    ids = [meeting.id for meeting in found]
    if not ids:
        return []
    counts = dict(
        (
            await db.execute(
                select(Capture.meeting_id, func.count())
                .where(Capture.meeting_id.in_(ids))
                .group_by(Capture.meeting_id)
            )
        ).all()
    )
    memos = dict(
        (
            await db.execute(
                select(MeetingMemo.meeting_id, func.substr(MeetingMemo.text, 1, 400)).where(
                    MeetingMemo.meeting_id.in_(ids)
                )
            )
        ).all()
    )
    site_ids = {meeting.site_id for meeting in found if meeting.site_id}
    names = (
        dict((await db.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))).all())
        if site_ids
        else {}
    )
    return [
        Row(
            meeting=meeting,
            site_name=names.get(meeting.site_id) if meeting.site_id else None,
            captures=counts.get(meeting.id, 0),
            memo_excerpt=excerpt(memos.get(meeting.id) or ""),
        )
        for meeting in found
    ]
