"""Presence: who is on a meeting's live sockets, kept as leases that lapse.

Each live socket of a meeting's guest, and of its host's meeting page, holds
a ``PresenceLease``. The server process holding the sockets renews all its
leases together, several times per ``presence_ttl``; a closed socket's lease
is cut to the grace period. A process that dies renews nothing, so its leases
lapse within the TTL and the reaper, which every instance runs, shows the
host "disconnected": presence heals by itself, on one instance or many.

The reaper also ends meetings that everyone has left: no live lease of any
role for ``meeting_idle_minutes`` ends the meeting with ``ended_by:
"timeout"``. A guest who is merely disconnected while the host is on the
meeting page ends nothing (voice is on the phone).

Every change the reaper makes is a conditional UPDATE that re-checks the
leases (``meetings.set_guest_presence``, ``meetings.end_meeting``), so two
instances reaping at once record each change once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from starlette.applications import Starlette

from server.meetings import lifecycle as meetings
from server.storage import chores
from server.storage.models import Guest, JoinLink, Meeting, PresenceLease, UTCDateTime, utcnow
from server.web.services import services

log = logging.getLogger("tsunagu.presence")
GUEST = "guest"
HOST = "host"
# A waiting-room page's socket (issue #14): the knocking guest is not in the
# meeting, but is someone there while it is open; once its lease lapses the
# knock is given up (``knock.left``), so an abandoned page neither keeps the
# meeting alive nor stays in the host's list.
KNOCK = "knock"
# How long a lease outlives the meeting's idle limit when that is off: the
# rows are kept a while for diagnosis, then deleted.
KEEP_EXPIRED = timedelta(days=1)
# Lease ids renewed per statement (bound parameters stay well under limits).
RENEW_CHUNK = 500


def instance_id() -> str:
    """This process among the instances: host and pid for people reading
    the table, and random bits because pids repeat after a restart."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Lease:
    id: int
    meeting_id: int
    role: str
    holder_id: int


class Presence:
    """The leases of one server process, and its reaper."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.instance = instance_id()
        self.held: dict[int, Lease] = {}
        # Renewing and releasing one lease must not interleave: a renewal
        # that read the lease as held and wrote after its release would keep
        # a guest who left "connected" for a whole TTL.
        self._lock = anyio.Lock()

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=services(self.app).settings.presence_ttl)

    def every(self) -> float:
        """Seconds between renewals and reaper passes: a lease is renewed at
        least twice before it would lapse, and a lapsed one is noticed soon."""
        return min(services(self.app).settings.presence_ttl / 3, 5.0)

    async def join(
        self, meeting_id: int, role: str, holder_id: int, *, now: datetime | None = None
    ) -> Lease:
        """A socket of the meeting's guest or host is open: take its lease.
        A guest arriving is shown to the host at once."""
        now = now or utcnow()
        async with meetings.transaction(self.app) as db:
            row = PresenceLease(
                meeting_id=meeting_id,
                role=role,
                holder_id=holder_id,
                instance=self.instance,
                created_at=now,
                expires_at=now + self.ttl,
            )
            db.add(row)
            await db.flush()
            if role == GUEST:
                await meetings.set_guest_presence(db, meeting_id, now=now)
        lease = Lease(row.id, meeting_id, role, holder_id)
        self.held[lease.id] = lease
        return lease

    async def leave(self, lease: Lease, grace: float, *, now: datetime | None = None) -> None:
        """The socket closed: its lease ends ``grace`` seconds from now (or
        when it would have anyway, if sooner). Kept, not deleted: the newest
        expiry is when the meeting was last seen."""
        now = now or utcnow()
        cut = now + timedelta(seconds=grace)
        async with self._lock:
            self.held.pop(lease.id, None)
            async with meetings.transaction(self.app) as db:
                await db.execute(
                    update(PresenceLease)
                    .where(PresenceLease.id == lease.id, PresenceLease.expires_at > cut)
                    .values(expires_at=cut)
                    .execution_options(synchronize_session=False)
                )

    async def renew(self, *, now: datetime | None = None) -> None:
        """Extend every lease this process holds (its heartbeat). A lease
        that is gone (deleted after lapsing while this process could not
        reach the database) is taken again."""
        now = now or utcnow()
        async with self._lock:
            held = list(self.held.values())
            if not held:
                return
            renewed: set[int] = set()
            async with meetings.transaction(self.app) as db:
                for start in range(0, len(held), RENEW_CHUNK):
                    ids = [lease.id for lease in held[start : start + RENEW_CHUNK]]
                    result = await db.execute(
                        update(PresenceLease)
                        .where(PresenceLease.id.in_(ids))
                        .values(expires_at=now + self.ttl)
                        .returning(PresenceLease.id)
                        .execution_options(synchronize_session=False)
                    )
                    renewed.update(result.scalars())
                for lease in held:
                    if lease.id in renewed:
                        continue
                    del self.held[lease.id]
                    if await db.get(Meeting, lease.meeting_id) is not None:  # not deleted
                        row = PresenceLease(
                            meeting_id=lease.meeting_id,
                            role=lease.role,
                            holder_id=lease.holder_id,
                            instance=self.instance,
                            created_at=now,
                            expires_at=now + self.ttl,
                        )
                        db.add(row)
                        await db.flush()
                        self.held[row.id] = Lease(
                            row.id, lease.meeting_id, lease.role, lease.holder_id
                        )

    async def run(self) -> None:
        """Renew and reap until cancelled (the app's background task group).
        A failed pass (say, the database briefly unreachable) is logged and
        the next one tries again."""
        await chores.repeat((self.renew, self.reap), self.every, log)

    async def reap(self) -> None:
        await reap(self.app)


def idle_limit(app: Starlette) -> timedelta | None:
    """How long a meeting everyone has left lasts; ``None``: for ever."""
    minutes = services(app).settings.meeting_idle_minutes
    return timedelta(minutes=minutes) if minutes > 0 else None


def everyone_gone(now: datetime, cutoff: datetime, link_lifetime: timedelta) -> ColumnElement[bool]:
    """A meeting (in a statement on ``Meeting``) with no live lease of any
    role, whose last lease ended before ``cutoff``; one that never had a
    lease counts from when it started, or was created. A join link sent for
    it counts as someone on their way until it expires: a guest tapping a
    link that still works must not find the meeting ended."""
    leases = PresenceLease.meeting_id == Meeting.id
    last_seen = select(func.max(PresenceLease.expires_at)).where(leases).scalar_subquery()
    gone_since = func.coalesce(last_seen, Meeting.started_at, Meeting.created_at, type_=UTCDateTime)
    return and_(
        ~exists().where(leases, PresenceLease.expires_at > now),
        gone_since < cutoff,
        ~exists().where(
            JoinLink.meeting_id == Meeting.id, JoinLink.created_at >= cutoff - link_lifetime
        ),
        # A prepared meeting's link lasts until its own date, and a guest
        # knocking in the waiting room is someone there (issue #14).
        ~exists().where(JoinLink.meeting_id == Meeting.id, JoinLink.expires_at > now),
        ~exists().where(Guest.knock_meeting_id == Meeting.id, Guest.admission == "waiting"),
    )


async def sync_guests(app: Starlette, now: datetime, meeting_id: int | None = None) -> None:
    """Show each meeting's guests as their leases say: "disconnected" once
    none of theirs is live (a crashed instance's lapsed), "connected" while
    one is; and the meeting's "any guest connected" as its guests are."""
    live = exists().where(
        PresenceLease.meeting_id == Guest.meeting_id,
        PresenceLease.role == GUEST,
        PresenceLease.holder_id == Guest.id,
        PresenceLease.expires_at > now,
    )
    shown = Guest.connected
    here = and_(live, Guest.removed_at.is_(None))
    wrong_guest = (
        select(Guest.meeting_id)
        .join(Meeting, Meeting.id == Guest.meeting_id)
        .where(Meeting.state != "ended", or_(and_(shown, ~here), and_(~shown, here)))
    )
    anyone = exists().where(Guest.meeting_id == Meeting.id, Guest.connected)
    wrong_meeting = select(Meeting.id).where(
        Meeting.state != "ended",
        or_(and_(Meeting.guest_connected, ~anyone), and_(~Meeting.guest_connected, anyone)),
    )
    if meeting_id is not None:
        wrong_guest = wrong_guest.where(Guest.meeting_id == meeting_id)
        wrong_meeting = wrong_meeting.where(Meeting.id == meeting_id)
    async with services(app).db() as db:
        wrong = set(await db.scalars(wrong_guest)) | set(await db.scalars(wrong_meeting))
    for found in sorted(wrong):
        async with meetings.transaction(app) as db:
            await meetings.set_guest_presence(db, found, now=now)


def knock_abandoned(app: Starlette, now: datetime) -> ColumnElement[bool]:
    """A waiting guest (in a statement on ``Guest``) whose waiting-room page
    is gone: none of its knock leases is live and one was taken since the
    knock; or none was ever taken and the knock is older than a lease's TTL
    and the grace (the page opens its socket right after knocking)."""
    settings = services(app).settings
    wait = timedelta(seconds=settings.presence_ttl + settings.guest_presence_grace)
    leases = and_(
        PresenceLease.role == KNOCK,
        PresenceLease.holder_id == Guest.id,
        PresenceLease.meeting_id == Guest.knock_meeting_id,
    )
    return and_(
        Guest.admission == "waiting",
        ~exists().where(leases, PresenceLease.expires_at > now),
        or_(
            exists().where(leases, PresenceLease.expires_at >= Guest.knocked_at),
            Guest.knocked_at < now - wait,
        ),
    )


async def sync_knocks(app: Starlette, now: datetime, meeting_id: int | None = None) -> None:
    """Give up the knocks whose waiting-room page is gone: the host's list
    and toast drop them (``knock.left``), and the meeting is as without them."""
    from server.meetings import knocks

    gone = knock_abandoned(app, now)
    query = select(Guest.id, Guest.knock_meeting_id).where(
        Guest.knock_meeting_id.is_not(None), gone
    )
    if meeting_id is not None:
        query = query.where(Guest.knock_meeting_id == meeting_id)
    async with services(app).db() as db:
        found = list(await db.execute(query))
    for guest_id, knocked_at in found:
        async with meetings.transaction(app) as db:
            await knocks.abandon(db, guest_id, knocked_at, only_if=gone)


async def reap(app: Starlette, now: datetime | None = None) -> None:
    """One reaper pass: presence follows the leases, abandoned knocks are
    given up, meetings everyone left long enough ago end, and leases that no
    longer matter are deleted."""
    now = now or utcnow()
    await sync_guests(app, now)
    await sync_knocks(app, now)
    limit = idle_limit(app)
    if limit is not None:
        links = timedelta(minutes=services(app).settings.link_minutes)
        gone = everyone_gone(now, now - limit, links)
        async with services(app).db() as db:
            idle = list(await db.scalars(select(Meeting.id).where(Meeting.state != "ended", gone)))
        for meeting_id in idle:
            async with meetings.transaction(app) as db:
                meeting = await meetings.end_meeting(db, meeting_id, by="timeout", only_if=gone)
            if meeting.ended_by == "timeout":
                log.info("meeting %s ended: everyone gone for %s", meeting_id, limit)
    # A lapsed lease matters only as its meeting's "last seen": not once the
    # meeting has ended, nor once it lapsed longer ago than the idle limit
    # (by then the meeting has ended anyway).
    ended = select(Meeting.id).where(Meeting.state == "ended")
    old = now - (limit or KEEP_EXPIRED)
    async with services(app).db() as db:
        stale = await db.scalar(
            select(PresenceLease.id)
            .where(
                PresenceLease.expires_at <= now,
                or_(PresenceLease.expires_at < old, PresenceLease.meeting_id.in_(ended)),
            )
            .limit(1)
        )
    if stale is None:
        return  # nothing to delete: no write (SQLite has one writer)
    async with meetings.transaction(app) as db:
        await db.execute(
            delete(PresenceLease)
            .where(
                PresenceLease.expires_at <= now,
                or_(PresenceLease.expires_at < old, PresenceLease.meeting_id.in_(ended)),
            )
            .execution_options(synchronize_session=False)
        )
