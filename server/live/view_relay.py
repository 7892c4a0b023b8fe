"""Relaying the live view (issue #16) between a guest's page and the console.

The guest's snippet sends its page as batches of rrweb events,
``{"type": "view.frame", "seq", "page", "events", "batch_ms"}``, on its own
live socket; each goes on the meeting's ``view:{id}`` channel, with the
guest's id, to the console sockets of the meeting's own host (not to an
admin looking on: the guest agreed to show the host), and is kept nowhere.
Budgets of bytes and of messages bound what one guest can push into a slow
console's queue. A
frame is taken only while the guest's live view is on (the guest agreed and
has not paused): the state is read when the socket joins its meeting and
then follows the ``live_view.*`` events that socket hears, so a pause
closes the tap at once, on whichever instance holds the socket.

The meeting's own host sends the other way, on ``view:{id}:guest-{guest}``:
``view.want`` (a full snapshot, please: the console opened or reconnected),
``view.ping`` (echoed by the guest as ``view.pong``: the latency figure),
``view.save`` (make a capture now) and ``view.pointer`` (the host's pointer
or stroke; the server puts the host's name in, so a guest is never shown a
name the console made up). Pointers need no live view: a pointer on a
capture guides a guest who never shares live.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette

from server.accounts.rate_limits import Budget
from server.meetings import live_view
from server.storage.models import Guest
from server.web.services import services

# A full snapshot of a long page is a few hundred kilobytes of JSON; the
# largest test pages make 1.2 MB. Larger is a page nobody can follow live.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# Bytes a second a guest may send, with a burst for full snapshots: a page
# being scrolled and changed sends tens of kilobytes a second.
FRAME_RATE = 512 * 1024
FRAME_BURST = 8 * 1024 * 1024
MAX_POINTS = 200
HOST_KINDS = {"view.want", "view.ping", "view.save", "view.pointer"}
# Above this a frame is encoded for the consoles off the event loop.
ENCODE_IN_THREAD = 64 * 1024


def message_budget() -> Budget:
    """Messages a second on one socket, whatever their size: a batch every
    100 ms and the pongs, with room; a flood of tiny frames would fill the
    console's queue (and close it) as surely as a flood of big ones."""
    return Budget(rate=20.0, burst=40.0)


def snapshot_budget() -> Budget:
    """A host's requests for a full snapshot: each one costs the phone a walk
    of its whole page."""
    return Budget(rate=0.5, burst=3.0)


def channel(meeting_id: int) -> str:
    """Frames and pongs of the meeting's guests, for its console sockets."""
    return f"view:{meeting_id}"


def guest_channel(meeting_id: int, guest_id: int) -> str:
    """The host's messages to one guest's page."""
    return f"view:{meeting_id}:guest-{guest_id}"


def refused(reason: str) -> dict[str, Any]:
    return {"type": "view.refused", "reason": reason}


def _number(value: object, low: float, high: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and low <= value <= high
        and value == value  # not NaN
    )


def _page(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40


def _events(value: object) -> bool:
    """rrweb events: objects with a numeric type (what they hold is the
    guest's page, passed on as it is to the console's replayer)."""
    return isinstance(value, list) and all(
        isinstance(event, dict) and _number(event.get("type"), 0, 100) for event in value
    )


def _id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53


def valid_target(target: object) -> bool:
    """A pointer's target: a replayed node and a place in its box, or a
    place on a capture (CSS px of the capture's viewport)."""
    if not isinstance(target, dict):
        return False
    if set(target) == {"node", "fx", "fy", "page"}:
        # rrweb's node ids start again on every page load: ``page`` says which.
        return (
            _id(target["node"])
            and _number(target["fx"], 0, 1)
            and _number(target["fy"], 0, 1)
            and _page(target["page"])
        )
    if set(target) == {"capture_id", "x", "y"}:
        return (
            _id(target["capture_id"])
            and _number(target["x"], 0, 20000)
            and _number(target["y"], 0, 20000)
        )
    return False


def valid_points(points: object) -> bool:
    if points is None:
        return True
    return (
        isinstance(points, list)
        and 1 < len(points) <= MAX_POINTS
        and all(
            isinstance(point, list)
            and len(point) == 2
            and all(_number(value, -20000, 20000) for value in point)
            for point in points
        )
    )


class GuestView:
    """The live view over one guest's socket."""

    def __init__(self, app: Starlette, guest_id: int, meeting_id: Callable[[], int | None]):
        self.app = app
        self.guest_id = guest_id
        self._meeting_id = meeting_id
        self.state: str | None = None
        self.budget = Budget(rate=FRAME_RATE, burst=FRAME_BURST)
        self.messages = message_budget()

    def heard(self, message: dict[str, Any]) -> None:
        """A stored event this socket passed on: the state follows it."""
        kind = message["type"]
        if not kind.startswith("live_view.") or message["payload"].get("guest_id") != self.guest_id:
            return
        self.state = {
            "live_view.asked": "asked",
            "live_view.started": "on",
            "live_view.resumed": "on",
            "live_view.paused": "paused",
        }.get(kind)

    async def joined(self) -> None:
        """The socket is in its meeting: the state as stored now (events
        after this are heard as they come)."""
        async with services(self.app).db() as db:
            guest = await db.get(Guest, self.guest_id)
            self.state = guest.live_view if guest is not None else None

    async def receive(self, message: dict[str, Any], size: int) -> dict[str, Any] | None:
        """One ``view.*`` message from the guest's page (``size``: its UTF-8
        bytes as received); an answer only when refused."""
        meeting_id = self._meeting_id()
        kind = message.get("type")
        if meeting_id is None:
            return refused("not_sharing")
        if not self.messages.take():
            return refused("too_many")
        if kind == "view.pong":
            t = message.get("t")
            if not _number(t, 0, 2**53):
                return refused("invalid")
            out = {"type": "view.pong", "guest_id": self.guest_id, "t": t}
        elif kind == "view.result":
            reason = message.get("reason", "")
            out = {
                "type": "view.result",
                "guest_id": self.guest_id,
                "ok": message.get("ok") is True,
                "reason": reason[:32] if isinstance(reason, str) else "",
            }
        elif kind == "view.frame":
            if not live_view.sharing(self.state):
                return refused("not_sharing")
            events = message.get("events")
            seq, page = message.get("seq"), message.get("page")
            batch_ms = message.get("batch_ms", 0)
            # A page too large to mirror says so with an empty frame, so the
            # console can show why instead of waiting.
            too_large = message.get("too_large") is True
            if not (
                isinstance(events, list)
                and (bool(events) != too_large)
                and _number(seq, 0, 2**53)
                and _page(page)
                and _number(batch_ms, 0, 60000)
            ):
                return refused("invalid")
            if size > MAX_FRAME_BYTES:
                return refused("too_large")
            if not self.budget.take(size):
                return refused("too_many")
            if not _events(events):
                return refused("invalid")
            out = {
                "type": "view.frame",
                "guest_id": self.guest_id,
                "seq": seq,
                "page": page,
                "batch_ms": batch_ms,
                "events": events,
            }
            if too_large:
                out["too_large"] = True
            # Encoded once here, not once per console socket.
            encode = json.dumps
            if size > ENCODE_IN_THREAD:
                text = await anyio.to_thread.run_sync(lambda: encode(out, ensure_ascii=False))
            else:
                text = encode(out, ensure_ascii=False)
            out = {"type": "view.frame", "encoded": text}
        else:
            return refused("invalid")
        await services(self.app).event_bus.publish(channel(meeting_id), out)
        return None


class HostView:
    """The live view over one console socket of a meeting."""

    def __init__(self, app: Starlette, meeting_id: int, host_name: str | None):
        self.app = app
        self.meeting_id = meeting_id
        # None: an admin looking on, who neither sees the page nor points.
        self.host_name = host_name
        self.guests: set[int] = set()
        self.messages = message_budget()
        self.snapshots = snapshot_budget()

    async def _in_meeting(self, guest_id: int) -> bool:
        if guest_id in self.guests:
            return True
        async with services(self.app).db() as db:
            guest = await db.get(Guest, guest_id)
        if guest is None or guest.meeting_id != self.meeting_id or guest.removed_at is not None:
            return False
        self.guests.add(guest_id)
        return True

    async def receive(self, message: dict[str, Any], size: int) -> dict[str, Any] | None:
        kind, guest_id = message.get("type"), message.get("guest_id")
        if kind not in HOST_KINDS or not _id(guest_id):
            return refused("invalid")
        if self.host_name is None:
            return refused("not_host")
        if not self.messages.take() or (kind == "view.want" and not self.snapshots.take()):
            return refused("too_many")
        assert isinstance(guest_id, int)
        if not await self._in_meeting(guest_id):
            return refused("not_in_meeting")
        out: dict[str, Any] = {"type": kind}
        if kind == "view.ping":
            if not _number(message.get("t"), 0, 2**53):
                return refused("invalid")
            out["t"] = message["t"]
        elif kind == "view.pointer":
            target, points = message.get("target"), message.get("points")
            if not valid_target(target) or not valid_points(points):
                return refused("invalid")
            out.update(target=target, points=points, name=self.host_name)
        await services(self.app).event_bus.publish(guest_channel(self.meeting_id, guest_id), out)
        return None
