"""Live channels over WebSocket: the console's and the guest's.

- ``/api/v1/live``: a host's dashboard; events of all their meetings.
- ``/api/v1/meetings/{id}/live?after=N``: one meeting in the console.
- ``/api/v1/guest/live``: the guest; the first message is
  ``{"type": "hello", "token": ..., "after": N}`` (a token never goes in a
  URL, where logs would keep it).

Every message the server sends is an event envelope (``meetings.envelope``),
``{"type": "pong"}``, a relayed signal (``signaling.py``), a message of
the shared memo (``memo.*``, see ``server/meetings/memo.py``) or of the
live view (``view.*``, see ``view_relay.py``). A client that
connects with ``after`` first gets every stored event it missed, then live
ones, without gaps or repeats. The client sends ``{"type": "ping"}`` every
15 s; a connection silent for longer than ``IDLE_TIMEOUT`` is closed, which
is how a vanished phone shows up as "the guest disconnected". A closed guest
socket counts as gone only after ``guest_presence_grace`` seconds, so a
guest moving to another page (a new socket a moment after the old one
closed) is never shown as disconnected. Each open socket of a meeting's
guest or host holds a presence lease (``presence.py``), so a server that
dies leaves no one "connected".
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.accounts.auth import Principal, authenticate, is_same_origin
from server.accounts.rate_limits import Budget
from server.live import signaling, view_relay
from server.live.event_bus import Subscription
from server.meetings import lifecycle as meetings
from server.meetings import memo, presence
from server.meetings.guests import require_guest, take_idle_video
from server.meetings.presence import Lease
from server.storage.database import is_unavailable
from server.storage.models import Guest, utcnow
from server.web.errors import ApiError
from server.web.payloads import parse_json
from server.web.services import services

log = logging.getLogger("tsunagu.live")
DISCONNECTED = WebSocketState.DISCONNECTED
IDLE_TIMEOUT = 90.0
HELLO_TIMEOUT = 10.0
# A console socket re-checks its login this often, so logging out (or being
# disabled) also ends live updates.
RECHECK_EVERY = 60.0
# Seconds between further tries of a re-check the database could not answer.
RECHECK_RETRIES = (1.0, 2.0, 4.0)
# The largest event id: ids are 64-bit signed integers in the database.
MAX_EVENT_ID = 2**63 - 1
# WebSocket close codes (4000-4999 are for applications).
TRY_AGAIN_LATER = 1013  # the client reconnects after a backoff
UNAUTHORIZED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
# The host removed this guest from the meeting: their page says so and
# stops; a retry would only be refused again.
REMOVED = 4410


async def send_json(websocket: WebSocket, message: dict[str, Any]) -> None:
    await send_text(websocket, json.dumps(message, ensure_ascii=False))


async def send_text(websocket: WebSocket, text: str) -> None:
    try:
        await websocket.send_text(text)
    except RuntimeError:
        # The server's protocol closed the socket (a broken frame from the
        # client, a missed keepalive) before the app heard of it: gone.
        raise WebSocketDisconnect(1006) from None


async def close(websocket: WebSocket, code: int) -> None:
    """Close the socket unless either side already has: closing twice, or
    after the client left or broke the protocol, is an ASGI error (the
    server logs "Unexpected ASGI message 'websocket.close'")."""
    if DISCONNECTED in (websocket.client_state, websocket.application_state):
        return
    # The server may have closed it for a broken frame that the app has
    # not received yet: nothing is left to close then.
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code=code)


# Above this, a message (a live view's full snapshot) is parsed off the event
# loop: a megabyte of JSON takes a fifth of a second, which would stall every
# other socket of the instance.
PARSE_IN_THREAD = 64 * 1024


async def receive_message(websocket: WebSocket) -> dict[str, Any] | None:
    """The next client message as a JSON object; ``None`` for anything else
    (binary frames, malformed or absurdly nested JSON are not errors)."""
    return (await receive_sized(websocket))[0]


async def receive_sized(websocket: WebSocket) -> tuple[dict[str, Any] | None, int]:
    """:func:`receive_message`, with the message's size in UTF-8 bytes."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        return None, 0
    size = len(text.encode("utf-8", "surrogatepass"))
    try:
        if len(text) > PARSE_IN_THREAD:
            data = await anyio.to_thread.run_sync(json.loads, text)
        else:
            # A number out of range reads as null: an odd "after" counts as 0.
            data = parse_json(text, out_of_range="null")
    except (ValueError, RecursionError):
        return None, 0
    return (data if isinstance(data, dict) else None), size


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
# A live view message and its size in bytes (view_relay.py).
SizedHandler = Callable[[dict[str, Any], int], Awaitable[dict[str, Any] | None]]


async def refuse_signals(message: dict[str, Any]) -> dict[str, Any] | None:
    """For a socket whose owner is in no meeting's call (yet)."""
    return {"type": "signal.refused", "reason": "not_in_meeting"}


async def receive_pings(
    websocket: WebSocket,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    on_signal: Handler = refuse_signals,
    memo_socket: memo.MemoSocket | None = None,
    on_view: SizedHandler | None = None,
) -> None:
    """Answer pings and pass signals on until the client goes away, falls
    silent, or (console sockets) is no longer logged in."""
    checked = anyio.current_time()
    budget = signaling.signal_budget()
    while True:
        with anyio.fail_after(IDLE_TIMEOUT):
            message, size = await receive_sized(websocket)
        kind = message.get("type") if message is not None else None
        if kind == "ping":
            await send_json(websocket, {"type": "pong"})
        elif kind == "signal" and message is not None:
            answer = await _signal(on_signal, budget, message)
            if answer is not None:
                await send_json(websocket, answer)
        elif isinstance(kind, str) and kind.startswith("view.") and message is not None:
            answer = await _view(on_view, message, size)
            if answer is not None:
                await send_json(websocket, answer)
        elif isinstance(kind, str) and kind.startswith("memo.") and message is not None:
            if memo_socket is None:
                answers = [memo.Refused("memo_not_in_meeting").message()]
            else:
                answers = await memo_socket.receive(message)
            for answer in answers:
                await send_json(websocket, answer)
        if still_allowed is not None and anyio.current_time() - checked > RECHECK_EVERY:
            checked = anyio.current_time()
            allowed = await recheck(still_allowed)
            if not allowed:
                # None: the database could not say; the client comes back.
                await close(websocket, UNAUTHORIZED if allowed is False else TRY_AGAIN_LATER)
                return


async def recheck(still_allowed: Callable[[], Awaitable[bool]]) -> bool | None:
    """Whether the login still holds, or ``None`` when the database stayed
    unavailable through every retry: a moment of overload must neither
    end the socket at once nor send the host to the login page."""
    for pause in (0.0, *RECHECK_RETRIES):
        await anyio.sleep(pause)
        try:
            return await still_allowed()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("login re-check: database unavailable: %s", exc)
    return None


async def _signal(
    on_signal: Handler, budget: Budget, message: dict[str, Any]
) -> dict[str, Any] | None:
    if not budget.take():
        return {"type": "signal.refused", "reason": "too_many"}
    try:
        return await on_signal(message)
    except Exception:  # a bug, or the database gone: refuse, keep the socket
        log.exception("could not relay a signal")
        return {"type": "signal.refused", "reason": "unavailable"}


async def _view(
    on_view: SizedHandler | None, message: dict[str, Any], size: int
) -> dict[str, Any] | None:
    if on_view is None:
        return view_relay.refused("not_in_meeting")
    try:
        return await on_view(message, size)
    except Exception:  # a bug, or the database gone: refuse, keep the socket
        log.exception("could not relay a live view message")
        return view_relay.refused("unavailable")


class Sent:
    """Ids of the events already sent on one socket. An event can arrive
    twice (on a guest's and a meeting's channel, or in the catch-up and
    live), and two transactions may publish out of id order, so repeats are
    recognised by id, not by "not newer than the last"."""

    def __init__(self, keep: int = 2000) -> None:
        self._ids: dict[int, None] = {}
        self._keep = keep

    def first_time(self, event_id: int) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._keep:
            del self._ids[next(iter(self._ids))]
        return True


# What a guest's page acts on (server/static/join.js, embed/widget.js): the
# meeting starting and ending, the host asking for a capture, and who is on
# video (the guest who was stops their call). A guest's socket carries
# nothing else: not the host's side of things (SMS, labels, memo), and
# nothing of the other guests of the meeting, who may be other people
# (their pages, captures, comings and goings, who removed them).
FOR_ANY_GUEST = frozenset(
    {"meeting.started", "meeting.ended", "meeting.options", "capture.requested", "video.guest"}
    # IT重説 (issue #14): the checklist the host opens and ticks.
    | {"checklist.opened", "checklist.ticked", "checklist.unticked"}
    | {"checklist.collapsed", "checklist.expanded"}
    | {"recording.started", "recording.stopped", "recording.ready", "recording.consent_requested"}
    # The business card (issue #15): the host pushed it, the guest's page opens it.
    | {"card.shown"}
    # Document share (issue #15): what the host shows (not the guests' own views).
    | {"document.opened", "document.page", "document.closed", "document.download_allowed"}
)
# The live view (issue #16): its steps go to the guest whose page it is.
FOR_THIS_GUEST_LIVE_VIEW = frozenset(
    {"live_view.asked", "live_view.started", "live_view.declined", "live_view.paused"}
    | {"live_view.resumed", "live_view.stopped", "live_view.withdrawn"}
)
# Events about one guest, carried only to that guest's socket: joined to a
# running meeting by number; removed by the host.
FOR_THIS_GUEST = frozenset({"guest.attached", "guest.removed"})
FOR_THIS_GUEST |= {"guest.admitted", "guest.refused", "knock.waiting"}  # the waiting room
FOR_THIS_GUEST |= FOR_THIS_GUEST_LIVE_VIEW
# Files (issue #15): the host's go to every guest, a guest's own only back
# to them (and to the host), never to the meeting's other guests.
FROM_HOST_OR_THIS_GUEST = frozenset({"file.sent"})


def for_guest(guest_id: int) -> Callable[[dict[str, Any]], bool]:
    """Whether an event may go out on the socket of guest ``guest_id``."""

    def visible(message: dict[str, Any]) -> bool:
        kind = message["type"]
        if kind in FOR_THIS_GUEST:
            return message["payload"].get("guest_id") == guest_id
        if kind in FROM_HOST_OR_THIS_GUEST:
            return message["payload"].get("guest_id") in (None, guest_id)
        return kind in FOR_ANY_GUEST

    return visible


async def forward(
    websocket: WebSocket,
    subscription: Subscription,
    sent: Sent,
    on_event: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    visible: Callable[[dict[str, Any]], bool] | None = None,
    memo_socket: memo.MemoSocket | None = None,
    before_send: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Send live events not sent yet, until the subscription ends.
    ``before_send`` hears each event just before it goes out (the live
    view's state: a page that acts on the event finds the server agreeing)."""
    while True:
        message = await subscription.get()
        if message is None:
            await close(websocket, TRY_AGAIN_LATER)  # too far behind: catch up anew
            return
        kind = message.get("type")
        if kind == "signal" or (isinstance(kind, str) and kind.startswith("view.")):
            # Relayed, not an event: no id. A live view's frame comes encoded
            # once for all its consoles (view_relay.GuestView.receive).
            if "encoded" in message:
                await send_text(websocket, message["encoded"])
            else:
                await send_json(websocket, message)
            continue
        if "id" not in message:  # the memo's relay: not an event either
            relayed = memo_socket.outgoing(message) if memo_socket is not None else None
            if relayed is not None:
                await send_json(websocket, relayed)
            continue
        if not sent.first_time(message["id"]):
            continue
        if visible is not None and not visible(message):
            continue
        if before_send is not None:
            before_send(message)
        await send_json(websocket, message)
        if on_event is not None:
            await on_event(message)


async def run(
    websocket: WebSocket,
    subscription: Subscription,
    sent: Sent,
    on_event: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    visible: Callable[[dict[str, Any]], bool] | None = None,
    on_signal: Handler = refuse_signals,
    memo_socket: memo.MemoSocket | None = None,
    on_view: SizedHandler | None = None,
    before_send: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Forward events and answer pings until either side stops."""
    async with anyio.create_task_group() as group:

        async def pings() -> None:
            with contextlib.suppress(WebSocketDisconnect, TimeoutError):
                await receive_pings(websocket, still_allowed, on_signal, memo_socket, on_view)
            group.cancel_scope.cancel()

        group.start_soon(pings)
        # The client may vanish while an event is on its way to it.
        with contextlib.suppress(WebSocketDisconnect):
            await forward(
                websocket, subscription, sent, on_event, visible, memo_socket, before_send
            )
        group.cancel_scope.cancel()


async def replay(
    websocket: WebSocket,
    meeting_id: int,
    after: int,
    sent: Sent,
    visible: Callable[[dict[str, Any]], bool] | None = None,
    on_event: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    before_send: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Send the stored events after ``after`` that were not sent yet, and
    act on them as on live ones (a live copy arriving later is a repeat,
    dropped before it is acted on)."""
    async with services(websocket).db() as db:
        events = await meetings.events_after(db, meeting_id, after)
    for event in events:
        message = meetings.envelope(event)
        if sent.first_time(event.id) and (visible is None or visible(message)):
            if before_send is not None:
                before_send(message)
            await send_json(websocket, message)
            if on_event is not None:
                await on_event(message)


def event_id(value: object) -> int:
    """A client's "after" as an event id; anything odd (not a whole number
    from 0 to 2^63 - 1) counts as 0: the client gets every event again,
    which it recognises by id."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_EVENT_ID:
        return value
    return 0


def logged_in(websocket: WebSocket) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with services(websocket).db.begin() as db:
            try:
                return await authenticate(websocket, db) is not None
            except ApiError:
                return False

    return check


async def console_principal(websocket: WebSocket) -> Principal | None:
    """The logged-in console user, with the socket accepted; or ``None``
    with it refused: a foreign page fails the handshake (cross-site
    WebSocket hijacking), a lapsed login is told so by close code 4401 so
    the console can send the person to the login page."""
    if not is_same_origin(websocket):
        await close(websocket, FORBIDDEN)
        return None
    async with services(websocket).db.begin() as db:
        try:
            principal = await authenticate(websocket, db)
        except ApiError:
            principal = None
    await websocket.accept()
    if principal is None:
        await close(websocket, UNAUTHORIZED)
    return principal


async def host_live(websocket: WebSocket) -> None:
    principal = await console_principal(websocket)
    if principal is None:
        return
    async with services(websocket).event_bus.subscribe() as subscription:
        await subscription.add(f"host:{principal.user.id}")
        await run(websocket, subscription, Sent(), still_allowed=logged_in(websocket))


async def meeting_live(websocket: WebSocket) -> None:
    principal = await console_principal(websocket)
    if principal is None:
        return
    async with services(websocket).db() as db:
        try:
            meeting = await meetings.get_meeting(
                db, principal.user, websocket.path_params["meeting_id"]
            )
        except ApiError:
            await close(websocket, NOT_FOUND)
            return
    app = websocket.app
    # The meeting's own host is the other side of its call; an admin
    # looking on sees the meeting but takes no part in the call.
    is_host = meeting.host_id == principal.user.id

    async def on_signal(message: dict[str, Any]) -> dict[str, Any] | None:
        return await signaling.relay(app, meeting.id, signaling.HOST, message)

    # The host's meeting page, while open, is the host's presence (a meeting
    # everyone has left ends after a while); an admin looking on is not.
    hosting = (
        present(app, meeting.id, presence.HOST, principal.user.id)
        if is_host and meeting.state != "ended"
        else contextlib.nullcontext()
    )
    async with hosting, services(app).event_bus.subscribe() as subscription:
        # Subscribe before replaying, so nothing falls between the two.
        await subscription.add(f"meeting:{meeting.id}")
        if is_host:
            await subscription.add(signaling.channel(meeting.id, signaling.HOST))
        if is_host and websocket.query_params.get("view") != "none":
            # The guest agreed to show their page to the meeting's host, not
            # to an admin looking on; a page's second socket (the memo
            # panel's, ?view=none) does without the frames.
            await subscription.add(view_relay.channel(meeting.id))
        sent = Sent()
        after = event_id(websocket.query_params.get("after"))
        memo_socket = memo.MemoSocket(app, subscription, memo.CONSOLE, meeting.id)
        view = view_relay.HostView(app, meeting.id, principal.user.label if is_host else None)
        try:
            with contextlib.suppress(WebSocketDisconnect):  # gone during the catch-up
                await replay(websocket, meeting.id, after, sent)
                await run(
                    websocket,
                    subscription,
                    sent,
                    still_allowed=logged_in(websocket),
                    on_signal=on_signal if is_host else refuse_signals,
                    memo_socket=memo_socket,
                    on_view=view.receive,
                )
        finally:
            await memo_socket.close()


async def guest_live(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        with anyio.fail_after(HELLO_TIMEOUT):
            hello = await receive_message(websocket)
        if hello is None or hello.get("type") != "hello":
            raise ValueError("expected hello")
        token = hello.get("token")
        after = event_id(hello.get("after"))
        async with services(websocket).db() as db:
            guest = await require_guest(websocket, db, token if isinstance(token, str) else "")
    except ApiError as error:
        if error.code in ("guest_removed", "guest_left"):
            await close(websocket, REMOVED)
        else:
            await close(websocket, FORBIDDEN if error.status == 403 else UNAUTHORIZED)
        return
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await close(websocket, UNAUTHORIZED)
        return

    app = websocket.app
    state: dict[str, int | None] = {"meeting_id": None}
    leases: list[Lease] = []
    view = view_relay.GuestView(app, guest.id, lambda: state["meeting_id"])

    async def joined(meeting_id: int, subscription: Subscription) -> None:
        if state["meeting_id"] is not None:
            return
        state["meeting_id"] = meeting_id
        await subscription.add(f"meeting:{meeting_id}")
        await subscription.add(signaling.channel(meeting_id, signaling.guest_peer(guest.id)))
        await subscription.add(signaling.channel(meeting_id, signaling.GUESTS))
        await subscription.add(view_relay.guest_channel(meeting_id, guest.id))
        await view.joined()
        # Taking the lease shows the host the guest at once.
        leases.append(await services(app).presence.join(meeting_id, presence.GUEST, guest.id))
        # Back on a new link after their browser died: the video comes to them.
        await take_idle_video(app, meeting_id, guest.id)

    async with services(app).event_bus.subscribe() as subscription:
        # Subscribe first, then read where the guest is: a claim committed
        # in between is then either seen by the read or delivered live.
        await subscription.add(f"guest:{guest.id}")
        async with services(app).db() as db:
            current = await db.get(Guest, guest.id)
        if current is not None and current.removed_at is not None:
            # Removed since the token was checked, maybe before this socket
            # listened: the removal went out without it.
            await close(websocket, REMOVED)
            return
        meeting_id = current.meeting_id if current is not None else None

        async def knocking(meeting_id: int) -> None:
            """The waiting-room page is open: someone is at the meeting's door
            (see presence.KNOCK); lapsed, the knock is given up."""
            if not any(lease.role == presence.KNOCK for lease in leases):
                knock = await services(app).presence.join(meeting_id, presence.KNOCK, guest.id)
                leases.append(knock)

        async def on_event(message: dict[str, Any]) -> None:
            about_me = message["payload"].get("guest_id") == guest.id
            if message["type"] == "knock.waiting" and about_me:
                await knocking(message["meeting_id"])  # knocked again after a refusal
            admitted = message["type"] == "guest.admitted"  # let in from the waiting room
            if message["type"] in ("meeting.started", "guest.attached") or admitted:
                await joined(message["meeting_id"], subscription)
            elif message["type"] == "guest.removed" and message["payload"]["guest_id"] == guest.id:
                # Told (the event went out just before), then let go.
                await close(websocket, REMOVED)
                raise WebSocketDisconnect(REMOVED)

        async def on_signal(message: dict[str, Any]) -> dict[str, Any] | None:
            if state["meeting_id"] is None:
                return await refuse_signals(message)
            sender = signaling.guest_peer(guest.id)
            return await signaling.relay(app, state["meeting_id"], sender, message)

        sent = Sent()
        memo_socket = memo.MemoSocket(app, subscription, memo.GUEST, lambda: state["meeting_id"])
        visible = for_guest(guest.id)
        try:
            if meeting_id is not None:
                await subscription.add(f"meeting:{meeting_id}")
                await replay(websocket, meeting_id, after, sent, visible, on_event, view.heard)
                await joined(meeting_id, subscription)
            elif (
                current is not None
                and current.knock_meeting_id is not None
                and current.admission == "waiting"
            ):
                await knocking(current.knock_meeting_id)
            await run(
                websocket,
                subscription,
                sent,
                on_event,
                visible=visible,
                on_signal=on_signal,
                memo_socket=memo_socket,
                on_view=view.receive,
                before_send=view.heard,
            )
        except WebSocketDisconnect:
            pass  # gone during the catch-up
        finally:
            await memo_socket.close()
            for lease in leases:
                await socket_closed(app, lease)


@contextlib.asynccontextmanager
async def present(
    app: Starlette, meeting_id: int, role: str, holder_id: int
) -> AsyncIterator[Lease]:
    """A presence lease held while a socket is open (see presence.py)."""
    lease = await services(app).presence.join(meeting_id, role, holder_id)
    try:
        yield lease
    finally:
        await socket_closed(app, lease)


async def socket_closed(app: Starlette, lease: Lease) -> None:
    """Let a closed socket's lease go; a guest's only after the grace period.

    Every page the snippet's guest opens closes the old socket a moment
    before the new one is open; counted at once, each navigation would show
    the host "disconnected" and "connected". The wait runs in the app's
    background task group, so the handler (and a server shutting down)
    does not wait for it.
    """
    guests = (presence.GUEST, presence.KNOCK)  # a reloaded waiting page is not a goodbye
    grace = services(app).settings.guest_presence_grace if lease.role in guests else 0
    try:
        services(app).background.start_soon(_socket_gone, app, lease, grace)
    except RuntimeError:  # the app is no longer running: no grace to give
        await _socket_gone(app, lease, 0)


async def _socket_gone(app: Starlette, lease: Lease, grace: float) -> None:
    cut = waited = False
    try:
        if grace > 0:
            # Cut now, not after the wait: a server that dies in the grace
            # period still shows the guest gone when the grace ends.
            # Shielded: cancelled mid-transaction (a shutdown), a database
            # connection is torn down instead of returned.
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await services(app).presence.leave(lease, grace)  # or below instead
                cut = True
            await anyio.sleep(grace)
            waited = True
    finally:
        # Also when cancelled in the wait (the server is shutting down):
        # the socket is gone now, not when its lease would have lapsed.
        with anyio.CancelScope(shield=True):
            try:
                if not (cut and waited):
                    await services(app).presence.leave(lease, 0)
                if lease.role == presence.GUEST:
                    await presence.sync_guests(app, utcnow(), lease.meeting_id)
                if lease.role == presence.KNOCK:
                    await presence.sync_knocks(app, utcnow(), lease.meeting_id)
            except Exception:  # e.g. the database is gone; the reaper heals it later
                log.warning("could not record %s leaving meeting %s", lease.role, lease.meeting_id)


def routes() -> list[BaseRoute]:
    return [
        WebSocketRoute("/api/v1/live", host_live),
        WebSocketRoute("/api/v1/meetings/{meeting_id:id}/live", meeting_live),
        WebSocketRoute("/api/v1/guest/live", guest_live),
    ]
