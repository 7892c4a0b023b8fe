"""The live view of a guest's page (ライブ表示, issue #16): its state and its record.

The host asks; the guest's snippet shows what would be shared and the guest
agrees (or not), then may pause and stop it at any time. Only the steps are
stored (``live_view.*`` events in the timeline, a consent row for each
agreement): the page itself travels as rrweb events over the guest's socket,
relayed to the meeting's console sockets by ``server/live/sockets.py`` and
kept nowhere. A capture made from the live view ("save this moment") is an
ordinary capture, sent by the guest's snippet.

A guest's live view is off (``Guest.live_view`` empty), ``asked``, ``on`` or
``paused``. Only a snippet guest has a page to show. It ends, in the record
too, when the guest stops it, the host stops it, the guest goes (left,
removed, their page gone) or the meeting ends: opt-in each time, so a guest
who comes back is asked again.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import consents, lifecycle
from server.storage.models import Guest, Meeting
from server.web.errors import ApiError

Action = Literal["agree", "decline", "pause", "resume", "stop"]
# Why a live view ended with nobody stopping it.
Ended = Literal["left", "ended"]
# The snippet's question (embed/widget.js, S.liveAsk and S.liveWhat).
SNIPPET_LIVE_VIEW = consents.Wording("live_view", "widget.live_view@1", "snippet")

# (state now, the guest's action) -> (state after, the event it records).
GUEST_STEPS: dict[tuple[str | None, str], tuple[str | None, str]] = {
    ("asked", "agree"): ("on", "live_view.started"),
    ("asked", "decline"): (None, "live_view.declined"),
    ("on", "pause"): ("paused", "live_view.paused"),
    ("paused", "resume"): ("on", "live_view.resumed"),
    ("on", "stop"): (None, "live_view.stopped"),
    ("paused", "stop"): (None, "live_view.stopped"),
    ("asked", "stop"): (None, "live_view.declined"),
}
# A repeat (the same tap sent twice, a page that did not hear the answer)
# changes nothing and is answered with the state as it is.
SETTLED = {"agree": {"on", "paused"}, "pause": {"paused"}, "resume": {"on"}}


async def _locked_meeting(db: AsyncSession, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    return await db.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update(key_share=True, of=Meeting)
        .execution_options(populate_existing=True)
    )


async def _locked_guest(db: AsyncSession, guest_id: int) -> Guest | None:
    return await db.scalar(
        select(Guest)
        .where(Guest.id == guest_id)
        .with_for_update(of=Guest)
        .execution_options(populate_existing=True)
    )


async def ask(db: AsyncSession, meeting: Meeting, guest_id: int, host_name: str) -> str | None:
    """The host asks ``guest_id`` to share their page; ``meeting`` locked by
    the caller. Asking again while asked, on or paused changes nothing."""
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    guest = await _locked_guest(db, guest_id)
    if guest is None or guest.meeting_id != meeting.id or guest.removed_at is not None:
        raise ApiError(404, "guest_not_found")
    if guest.source != "snippet":
        # A guest on the join page has no site page to show (their phone
        # meeting has the camera and captures from the snippet instead).
        raise ApiError(409, "live_view_not_available")
    if guest.left_at is not None and not guest.connected:
        raise ApiError(409, "guest_not_connected")
    if guest.live_view is not None:
        return guest.live_view
    guest.live_view = "asked"
    facts = await lifecycle.facts_of(db, meeting.id, guest.id)
    await lifecycle.record_event(
        db, meeting, "live_view.asked", {"guest_id": guest.id, "n": facts["n"], "host": host_name}
    )
    return guest.live_view


async def host_stop(db: AsyncSession, meeting: Meeting, guest_id: int) -> None:
    """The host stops (or withdraws the question of) a guest's live view."""
    guest = await _locked_guest(db, guest_id)
    if guest is None or guest.meeting_id != meeting.id:
        raise ApiError(404, "guest_not_found")
    if guest.live_view is None:
        return
    event = "live_view.withdrawn" if guest.live_view == "asked" else "live_view.stopped"
    await _record(db, meeting, guest, None, event, {"by": "host"})


async def guest_action(db: AsyncSession, guest_id: int, action: Action) -> str | None:
    """The guest's tap in the snippet: the state after it."""
    # The meeting is locked before the guest, in the order the host's calls
    # take them (get_meeting(lock=True), then the guest): the other order
    # could deadlock a host's tap against the guest's on PostgreSQL.
    seen = await db.get(Guest, guest_id)
    if seen is None:
        raise ApiError(404, "guest_not_found")
    meeting = await _locked_meeting(db, seen.meeting_id)
    guest = await _locked_guest(db, guest_id)
    if guest is None:
        raise ApiError(404, "guest_not_found")
    if meeting is None or guest.meeting_id != meeting.id or guest.joined_at is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    now = guest.live_view
    if now in SETTLED.get(action, ()) or (action in ("stop", "decline") and now is None):
        return now
    step = GUEST_STEPS.get((now, action))
    if step is None:
        # Agreeing to a question nobody asked (or one withdrawn meanwhile).
        raise ApiError(409, "live_view_not_asked")
    state, event = step
    if action == "agree":
        await consents.record_each(db, guest, SNIPPET_LIVE_VIEW)
    await _record(db, meeting, guest, state, event, {"by": "guest"} if action == "stop" else {})
    return state


async def end_for(
    db: AsyncSession, meeting: Meeting, ended: Ended, *, guest_id: int | None = None
) -> None:
    """Every live view of the meeting (only ``guest_id``'s, if given) still
    asked, on or paused ends, for ``ended``'s reason."""
    query = select(Guest).where(Guest.meeting_id == meeting.id, Guest.live_view.is_not(None))
    if guest_id is not None:
        query = query.where(Guest.id == guest_id)
    for guest in (await db.scalars(query.with_for_update(of=Guest))).all():
        was_asked = guest.live_view == "asked"
        event = "live_view.withdrawn" if was_asked else "live_view.stopped"
        await _record(db, meeting, guest, None, event, {"ended": ended})


async def _record(
    db: AsyncSession,
    meeting: Meeting,
    guest: Guest,
    state: str | None,
    event: str,
    extra: dict[str, Any],
) -> None:
    guest.live_view = state
    await db.flush()
    facts = await lifecycle.facts_of(db, meeting.id, guest.id)
    payload = {"guest_id": guest.id, "n": facts["n"], **extra}
    # Each type written out in the call, so the catalog test finds its text;
    # an unknown one fails here rather than reaching the timeline.
    await lifecycle.record_event(
        db,
        meeting,
        (
            types := (
                "live_view.started",
                "live_view.declined",
                "live_view.paused",
                "live_view.resumed",
                "live_view.stopped",
                "live_view.withdrawn",
            )
        )[types.index(event)],
        payload,
    )


def sharing(state: str | None) -> bool:
    """Whether frames of the page may go out now."""
    return state == "on"
