"""Screen share (画面共有, issue #15): what the meeting's timeline keeps of it.

The screen itself goes peer to peer, in place of the sharer's camera on the
call (server/static/video.js); the server never sees a pixel. The sharer's
page tells the server each step (started, paused, resumed, stopped), so the
console's timeline and the meeting record say who shared and when, and when
the share was paused (「共有の一時停止」, during which nothing was sent).

Only the two people on the call share: the meeting's own host, and the
guest on video with them.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import lifecycle
from server.storage.models import Guest, Meeting, User
from server.web.errors import ApiError

State = Literal["started", "paused", "resumed", "stopped"]
STATES: tuple[str, ...] = get_args(State)


async def host_step(db: AsyncSession, meeting: Meeting, user: User, state: State) -> None:
    """The host's share changed; ``meeting`` locked by the caller."""
    if meeting.host_id != user.id:
        raise ApiError(403, "not_in_call")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    await _record(db, meeting, state, {"by": "host", "name": user.label})


async def guest_step(db: AsyncSession, guest: Guest, state: State) -> None:
    """The guest's share changed: only the guest on video with the host shares."""
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    if meeting is None or guest.joined_at is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if meeting.video_guest_id != guest.id:
        raise ApiError(409, "screen_not_in_call")
    facts = await lifecycle.facts_of(db, meeting.id, guest.id)
    await _record(db, meeting, state, {"by": "guest", "guest_id": guest.id, "n": facts["n"]})


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
