"""The history: past and present meetings a user may see, filtered,
searched (``search.py``) and paged.

Pages go by keyset on the meeting id (newest first): a page is "the N
meetings before id X" (or, going back, "after id X"), so a meeting that
starts while someone pages neither repeats a row nor hides one, and a deep
page costs no more than the first.

A page is one statement: its rows, the total and whether there is more the
other way, with the search's ids (``search.py``) computed once in a
materialized CTE that the three parts share. Run as three queries (as it
once was, with a fourth "more?" check), every page searched three or four
times over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import search
from server.meetings.lifecycle import visible_to
from server.storage.models import Capture, Meeting, MeetingMemo, Site, User
from server.web.errors import ApiError
from server.web.record_ids import MAX_ID

PAGE_SIZE = 50
SOURCES = ("number", "snippet", "link")
STATES = ("waiting", "active", "ended")
EXCERPT_LENGTH = 80
# Minutes east of UTC: UTC-15:00 to UTC+15:00 covers every zone.
MAX_TZ = 900
# A whole number that may be a time zone offset ("--5" is not one).
TZ_PATTERN = re.compile(r"-?[0-9]{1,3}")
# Dates a filter takes: a day's start in another zone, or the day after
# the last, must still be a date (at year 1 or 9999 they overflow).
MIN_YEAR, MAX_YEAR = 1900, 9998


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
    # Not ended (the API's ``state=live``; the history's form offers states).
    live: bool = False

    def day_start(self, day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return local - timedelta(minutes=self.utc_offset)

    def conditions(self) -> list[ColumnElement[bool]]:
        """Everything but the search, which :func:`find` adds once."""
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
        if self.live:
            found.append(Meeting.state != "ended")
        return found


@dataclass(frozen=True)
class Params:
    """The history's query string, read under one of two policies: the
    API's ``strict`` one refuses a value it cannot apply (a 422 with a
    stable code: a program that sends a typo should hear of it, not get
    everything), the history page's lenient one drops it (the list shows
    unfiltered by it, and the form shows what was applied)."""

    values: Mapping[str, str]
    strict: bool

    def refuse(self, code: str, **params: Any) -> None:
        if self.strict:
            raise ApiError(422, code, params=params)

    def text(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        """One of ``choices``; refused as ``invalid_<name>``, whose message
        lists them as ``{<name>s}``."""
        value = self.values.get(name)
        if value is None or value in choices:
            return value
        self.refuse(f"invalid_{name}", **{f"{name}s": ", ".join(choices)})
        return None

    def id(self, name: str) -> int | None:
        value = self.values.get(name)
        if not value:
            if value is not None:
                self.refuse("invalid_id_filter", name=name, max=MAX_ID)
            return None
        # Beyond an INTEGER, the query itself would fail (PostgreSQL's int4).
        if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID:
            return int(value)
        self.refuse("invalid_id_filter", name=name, max=MAX_ID)
        return None

    def date(self, name: str) -> date | None:
        value = self.values.get(name)
        if not value:
            if value is not None:
                self.refuse("invalid_date", name=name, min=MIN_YEAR, max=MAX_YEAR)
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day and MIN_YEAR <= day.year <= MAX_YEAR:
            return day
        self.refuse("invalid_date", name=name, min=MIN_YEAR, max=MAX_YEAR)
        return None

    def utc_offset(self) -> int:
        value = self.values.get("tz", "0")
        if TZ_PATTERN.fullmatch(value) and abs(int(value)) <= MAX_TZ:
            return int(value)
        self.refuse("invalid_tz", max=MAX_TZ)
        return 0


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
    conditions = [visible_to(user), *filters.conditions()]
    if filters.query:
        # MATERIALIZED: searched once, whichever parts of the page ask.
        hits = (
            search.backend(db.bind.dialect.name)
            .matching(filters.query)
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        conditions.append(Meeting.id.in_(select(hits.c.meeting_id)))
    ids: Select[Any] = select(Meeting.id).where(*conditions)
    if after is not None:
        # Going back towards the newest: the nearest ones after the cursor;
        # anything at or before it is older.
        ids = ids.where(Meeting.id > after).order_by(Meeting.id.asc())
        other: ColumnElement[bool] = exists().where(*conditions, Meeting.id <= after)
    elif before is not None:
        # Newer than the first of a page before X: anything from X on.
        ids = ids.where(Meeting.id < before).order_by(Meeting.id.desc())
        other = exists().where(*conditions, Meeting.id >= before)
    else:
        ids = ids.order_by(Meeting.id.desc())
        other = false()  # the first page: nothing newer
    page_ids = ids.limit(size + 1).subquery("page")
    total = select(func.count()).select_from(Meeting).where(*conditions).scalar_subquery()
    query = select(Meeting, total.label("total"), other.label("other")).join(
        page_ids, page_ids.c.id == Meeting.id
    )
    rows = (await db.execute(query)).all()
    found = sorted((row[0] for row in rows), key=lambda meeting: meeting.id, reverse=True)
    if not rows:
        # No rows, so nothing to carry the total: ask for it alone (a past
        # the end or emptied page; the first page of nothing has none).
        empty = before is None and after is None
        return Page(total=0 if empty else await db.scalar(select(total)) or 0)
    more = len(found) > size
    # Going back, the extra row is the newest: the page is the nearest ones.
    found = found[-size:] if after is not None else found[:size]
    page = Page(total=rows[0][1])
    # The way the query went, one row more says there is more; the other
    # way, the statement asked.
    newest, oldest = found[0].id, found[-1].id
    if after is None:
        page.older = oldest if more else None
        page.newer = newest if rows[0][2] else None
    else:
        page.newer = newest if more else None
        page.older = oldest if rows[0][2] else None
    page.rows = await rows_for(db, found)
    return page


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
