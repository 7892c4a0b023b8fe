"""Screen share (画面共有, issue #15): what the meeting's timeline keeps of it.

The screen itself goes peer to peer, in place of the sharer's camera on the
call (server/static/video.js); the server never sees a pixel. The sharer's
page tells the server each step (started, paused, resumed, stopped), so the
console's timeline and the meeting record say who shared and when, and when
the share was paused (「共有の一時停止」, during which nothing was sent).

Only the two people on the call share: the meeting's own host, and the
guest on video with them.

Each sharer's share is off, on or paused, as their last step in the
timeline says; a step that does not change it (paused twice, resumed while
on, a stop with nothing shared) is ignored, so a page cannot fill the
timeline with repeats. A share whose page never said it stopped is ended
here: when the meeting ends, when the sharing guest leaves, is removed, is
gone (no live socket) or is moved off the video, and when the sharer's page
closes (its last word, ``ended``); its record says it ended
(「画面共有が終わりました」) rather than that someone stopped it.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import lifecycle
from server.storage.models import Guest, Meeting, MeetingEvent, User
from server.web.errors import ApiError

State = Literal["started", "paused", "resumed", "stopped"]
STATES: tuple[str, ...] = get_args(State)
# Why a share ended with nobody stopping it (the ``ended`` of its stop).
Ended = Literal["page", "meeting", "left", "video"]

# (the share now, the step) -> the share after it; any other step is a repeat.
NEXT = {
    ("off", "started"): "on",
    ("on", "paused"): "paused",
    ("paused", "resumed"): "on",
    ("on", "stopped"): "off",
    ("paused", "stopped"): "off",
}


def sharer(payload: dict[str, Any]) -> str:
    """Whose share a screen.* event is about: "host" or "guest-<id>"."""
    return f"guest-{payload.get('guest_id')}" if payload.get("by") == "guest" else "host"


async def running(db: AsyncSession, meeting_id: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """The meeting's shares not stopped: sharer -> ("on" | "paused", who
    shares, as their events name them)."""
    events = await db.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type.like("screen.%"))
        .order_by(MeetingEvent.id)
    )
    shares: dict[str, tuple[str, dict[str, Any]]] = {}
    for event in events:
        payload = event.payload or {}
        step = event.type.removeprefix("screen.")
        if step == "stopped":
            shares.pop(sharer(payload), None)
        else:
            who = {k: v for k, v in payload.items() if k in ("by", "name", "guest_id", "n")}
            shares[sharer(payload)] = ("paused" if step == "paused" else "on", who)
    return shares


async def host_step(
    db: AsyncSession, meeting: Meeting, user: User, state: State, *, ended: bool = False
) -> None:
    """The host's share changed; ``meeting`` locked by the caller."""
    if meeting.host_id != user.id:
        raise ApiError(403, "not_in_call")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    await _step(db, meeting, state, {"by": "host", "name": user.label}, ended=ended)


async def guest_step(db: AsyncSession, guest: Guest, state: State, *, ended: bool = False) -> None:
    """The guest's share changed: only the guest on video with the host shares."""
    # Locked as the other writers of the meeting lock it, so two steps at
    # once read the share's state one after the other.
    meeting = (
        await db.scalar(
            select(Meeting)
            .where(Meeting.id == guest.meeting_id)
            .with_for_update(key_share=True, of=Meeting)
            .execution_options(populate_existing=True)
        )
        if guest.meeting_id
        else None
    )
    if meeting is None or guest.joined_at is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if meeting.video_guest_id != guest.id:
        raise ApiError(409, "screen_not_in_call")
    facts = await lifecycle.facts_of(db, meeting.id, guest.id)
    who = {"by": "guest", "guest_id": guest.id, "n": facts["n"]}
    await _step(db, meeting, state, who, ended=ended)


async def _step(
    db: AsyncSession, meeting: Meeting, state: State, who: dict[str, Any], *, ended: bool
) -> None:
    now, _ = (await running(db, meeting.id)).get(sharer(who), ("off", who))
    if (now, state) not in NEXT:
        return  # a repeat (or a stale page's step): the timeline has it already
    if state == "stopped" and ended:
        who = {**who, "ended": "page"}
    await _record(db, meeting, state, who)


async def end_shares(
    db: AsyncSession, meeting: Meeting, ended: Ended, *, guest_id: int | None = None
) -> None:
    """Each share still running (only ``guest_id``'s, if given) is recorded
    as ended, for ``ended``'s reason."""
    for key, (_, who) in (await running(db, meeting.id)).items():
        if guest_id is None or key == f"guest-{guest_id}":
            await _record(db, meeting, "stopped", {**who, "ended": ended})


async def _record(db: AsyncSession, meeting: Meeting, state: State, who: dict[str, Any]) -> None:
    # Each type written out in the call, in the order of ``State``, so the
    # catalog test finds its timeline text.
    await lifecycle.record_event(
        db,
        meeting,
        ("screen.started", "screen.paused", "screen.resumed", "screen.stopped")[
            STATES.index(state)
        ],
        who,
    )
