"""Relaying WebRTC signaling between the two sides of a meeting.

Media goes peer to peer; the server only passes small messages (a hello,
session descriptions, ICE candidates, camera on/off, a shared screen's
state, bye) from one member
of a meeting to another, over the meeting's live WebSockets. It checks each
one: the sender is in that meeting (the meeting's own host, or one of its
guests), the meeting has not ended, and a guest writes only to the host.
Video is one-to-one: only the meeting's video guest (``Meeting.video_guest_id``,
the first guest who can do video until the host picks another) and the host
exchange signals; anyone else is refused with ``not_in_call``.
Signals are not stored: a side that missed some says hello again and the two
negotiate afresh.

Peers are named ``"host"`` and ``"guest-<id>"``; a host's hello may go to
``"guests"``, since it does not yet know who is there: it reaches the video
guest. Each message travels on the event bus channel of its recipient, so it
reaches them on whichever server instance holds their socket.

Client to server::

    {"type": "signal", "to": "host", "data": {"kind": "hello", "session": "..."}}

Server to client::

    {"type": "signal", "from": "guest-17", "meeting_id": 7, "data": {...}}
    {"type": "signal.refused", "reason": "meeting_ended" | "not_in_meeting" | "not_in_call"
                                         | "invalid" | "too_many"}
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette

from server.accounts.rate_limits import Budget
from server.storage.models import Guest, Meeting
from server.web.services import services

HOST = "host"
GUESTS = "guests"
KINDS = {"hello", "description", "candidate", "camera", "bye", "ask-camera"}
# Issue #14: the microphone's state, why video cannot connect, and the host's
# camera menu (a higher resolution, stopping the guest's camera).
KINDS |= {"microphone", "trouble", "high-quality", "quality", "stop-camera"}
# Issue #15: a shared screen's state (on, paused, off), so the other side
# shows 「一時停止中」 rather than a frozen picture.
KINDS |= {"screen"}
# A session description with its candidates is a few kilobytes.
MAX_DATA_BYTES = 32 * 1024


def channel(meeting_id: int, peer: str) -> str:
    return f"signal:{meeting_id}:{peer}"


def guest_peer(guest_id: int) -> str:
    return f"guest-{guest_id}"


def _guest_id(peer: object) -> int | None:
    if isinstance(peer, str) and peer.startswith("guest-") and peer[6:].isdigit():
        return int(peer[6:]) if len(peer) < 20 else None
    return None


def _valid(data: object) -> bool:
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return False
    try:
        return len(json.dumps(data)) <= MAX_DATA_BYTES
    except (TypeError, ValueError, RecursionError):
        return False


def signal_budget() -> Budget:
    """A connection's set-up is a few dozen signals; a flood would fill the
    other side's queue."""
    return Budget(rate=50.0, burst=200.0)


async def relay(
    app: Starlette, meeting_id: int, sender: str, message: dict[str, Any]
) -> dict[str, Any] | None:
    """Pass one signal on, or say why not (the answer goes back to the sender)."""
    to, data = message.get("to"), message.get("data")
    if not _valid(data):
        return {"type": "signal.refused", "reason": "invalid"}
    async with services(app).db() as db:
        meeting = await db.get(Meeting, meeting_id)
        if meeting is None or meeting.state == "ended":
            return {"type": "signal.refused", "reason": "meeting_ended"}
        sender_guest = _guest_id(sender)
        target = sender_guest if sender_guest is not None else _guest_id(to)
        if sender_guest is None and to == GUESTS:
            target = meeting.video_guest_id
            if target is None:
                return {"type": "signal.refused", "reason": "not_in_call"}
        guest = await db.get(Guest, target) if target is not None else None
        allowed = guest is not None and guest.meeting_id == meeting_id
        if sender_guest is not None:
            allowed = allowed and to == HOST
    if not allowed:
        return {"type": "signal.refused", "reason": "not_in_meeting"}
    assert guest is not None
    if guest.id != meeting.video_guest_id or guest.removed_at is not None:
        return {"type": "signal.refused", "reason": "not_in_call"}
    recipient = HOST if sender_guest is not None else guest_peer(guest.id)
    await services(app).event_bus.publish(
        channel(meeting_id, recipient),
        {"type": "signal", "from": sender, "meeting_id": meeting_id, "data": data},
    )
    return None
