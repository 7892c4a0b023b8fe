"""The shared memo: one Yjs document per meeting that the host and the guests
type into at once (seed 001's 共有メモ).

The document is a CRDT (pycrdt here, the same Yjs update format as the
browser's ``embed/memo.js``), so concurrent typing on both sides merges with
nothing lost; the server is one more replica that keeps the document, checks
who may write, relays updates and stores them.

- Each server instance keeps a :class:`LiveMemo` for every meeting whose memo
  one of its sockets has open. It is loaded from ``MeetingMemo.state`` and
  hears every update of the meeting's other instances on the event bus
  channel ``memo:<meeting id>`` (updates are relayed there, never recorded as
  timeline events), applied in the same turn as the sockets here get them.
- A new ``LiveMemo`` asks the other instances for what they have not stored
  yet (``memo.want``), so a memo opened on a second instance within the
  debounce of the first still gets every character.
- Saving is debounced (at most :data:`SAVE_AFTER` after the first unsaved
  change), and done at once when a socket closes, when the meeting ends and
  when the server stops. A save merges: under the row's lock it reads what
  is stored, applies it to the live document and writes the union, so an
  instance never overwrites another's edits. ``MeetingMemo.text`` (plain
  text for the record, downloads and search) is written with it.
- Clients speak a Yjs-style sync over the meeting's live sockets
  (:class:`MemoSocket`, documented in docs/API.md): the client's state
  vector in, the difference out, then incremental updates both ways.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import anyio
from pycrdt import Doc, Text
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from server.accounts.rate_limits import Budget
from server.live.event_bus import Subscription
from server.meetings import lifecycle as meetings
from server.storage.models import Meeting, MeetingMemo, MemoTemplate, utcnow
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.memo")

# The name of the document's one Y.Text; embed/memo.js uses the same.
TEXT = "memo"
# One update (a keystroke is ~30 bytes; this is a paste of several pages).
# Base64 in JSON it stays well under the WebSocket's 64 KiB frame limit.
MAX_UPDATE_BYTES = 32 * 1024
# The whole document, tombstones included (a long memo typed over an hour
# is a few hundred KB at most).
MAX_STATE_BYTES = 1024 * 1024
# The most a memo template's body may hold: an outline to fill in, and what
# a console form field carries (16 KiB, each Japanese character 9 bytes
# percent-encoded).
MAX_TEMPLATE_CHARS = 1_500
MAX_TEMPLATE_NAME = 100
# Seconds from the first unsaved change to its save.
SAVE_AFTER = 1.0
# Seconds before a failed save (the database unavailable) is tried again.
SAVE_RETRY = 5.0

# Who is on a socket: the console (the meeting's host, or an admin looking
# on) or a guest.
CONSOLE = "console"
GUEST = "guest"


class Refused(Exception):
    """A memo message refused, with its stable code (see docs/API.md)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> dict[str, Any]:
        return {"type": "memo.refused", "code": self.code, **self.params}


def channel(meeting_id: int) -> str:
    return f"memo:{meeting_id}"


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(value: object, limit: int = MAX_UPDATE_BYTES) -> bytes:
    """Base64 from a client, checked for type, size and alphabet before and
    after decoding."""
    if not isinstance(value, str):
        raise Refused("memo_invalid_update")
    if len(value) > (limit + 2) // 3 * 4:
        raise Refused("memo_update_too_large", max_bytes=limit)
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("memo_invalid_update") from None
    if not data:
        raise Refused("memo_invalid_update")
    return data


def _crdt_failed(error: BaseException) -> bool:
    """Whether ``error`` is the CRDT refusing bytes: ``ValueError`` for what
    it cannot decode, and pyo3's ``PanicException`` (a ``BaseException``)
    should the Rust side ever panic on some crafted input."""
    return isinstance(error, ValueError) or type(error).__name__ == "PanicException"


def apply_update(doc: Doc, data: bytes) -> None:
    try:
        doc.apply_update(data)
    except BaseException as error:
        if not _crdt_failed(error):
            raise
        raise Refused("memo_invalid_update") from None


def state_vector(value: object) -> bytes:
    """A client's state vector (empty for a client with nothing yet)."""
    if value in (None, ""):
        return b"\x00"
    data = decode(value, limit=64 * 1024)
    # A state vector is read by the CRDT as it computes the difference:
    # check it on an empty document first.
    try:
        Doc().get_update(data)
    except BaseException as error:
        if not _crdt_failed(error):
            raise
        raise Refused("memo_invalid_state_vector") from None
    return data


def plain_text(doc: Doc) -> str:
    """The memo's text; empty for a document whose root is not text (a
    client can send anything, and the record must still open)."""
    try:
        return str(doc.get(TEXT, type=Text))
    except Exception:
        log.warning("memo document without a text root")
        return ""


def text_of(state: bytes) -> str:
    doc = Doc()
    if state:
        doc.apply_update(state)
    return plain_text(doc)


# -- storage ------------------------------------------------------------------


@dataclass
class Stored:
    state: bytes = b""
    shared: bool = True
    template_id: int | None = None


async def read(db: AsyncSession, meeting_id: int) -> Stored:
    row = await db.get(MeetingMemo, meeting_id, populate_existing=True)
    if row is None:
        return Stored()
    return Stored(row.state or b"", row.shared_with_guest, row.template_id)


async def lock_row(db: AsyncSession, meeting_id: int) -> MeetingMemo:
    """The meeting's memo row, made if missing, locked for this transaction:
    the UPDATE takes the row lock on PostgreSQL and the write lock on SQLite
    before anything is read, so two instances saving at once go one after
    the other, each reading what the other wrote."""
    insert = (postgresql.insert if db.bind.dialect.name == "postgresql" else sqlite.insert)(
        MeetingMemo
    )
    await db.execute(
        insert.values(
            meeting_id=meeting_id, state=b"", text="", shared_with_guest=True, updated_at=utcnow()
        ).on_conflict_do_nothing()
    )
    await db.execute(
        update(MeetingMemo)
        .where(MeetingMemo.meeting_id == meeting_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    row = await db.get(MeetingMemo, meeting_id, populate_existing=True)
    assert row is not None
    return row


async def set_template(db: AsyncSession, meeting_id: int, template_id: int) -> None:
    row = await lock_row(db, meeting_id)
    row.template_id = template_id


# -- templates ----------------------------------------------------------------


async def list_templates(db: AsyncSession) -> list[MemoTemplate]:
    return list(await db.scalars(select(MemoTemplate).order_by(MemoTemplate.name, MemoTemplate.id)))


async def get_template(db: AsyncSession, template_id: int) -> MemoTemplate:
    found = await db.get(MemoTemplate, template_id)
    if found is None:
        raise ApiError(404, "memo_template_not_found")
    return found


def _checked(name: str, body: str) -> tuple[str, str]:
    """A template's name and body as stored: trimmed name, line breaks as
    a textarea has them (a form posts CRLF; the memo's text has LF)."""
    name = " ".join(name.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not name:
        raise ApiError(422, "memo_template_name_required")
    if len(name) > MAX_TEMPLATE_NAME:
        raise ApiError(422, "memo_template_name_too_long")
    if len(body) > MAX_TEMPLATE_CHARS:
        raise ApiError(422, "memo_template_too_long")
    return name, body


async def create_template(db: AsyncSession, name: str, body: str) -> MemoTemplate:
    name, body = _checked(name, body)
    template = MemoTemplate(name=name, body=body)
    db.add(template)
    await db.flush()
    return template


async def update_template(db: AsyncSession, template: MemoTemplate, name: str, body: str) -> None:
    template.name, template.body = _checked(name, body)
    await db.flush()


async def delete_template(db: AsyncSession, template: MemoTemplate) -> None:
    # Memos that started from it keep their text; their template_id goes
    # NULL (ON DELETE SET NULL).
    await db.delete(template)
    await db.flush()


# -- one meeting's memo on this instance ----------------------------------------


@dataclass(eq=False)
class LiveMemo:
    """A meeting's memo document as this instance holds it."""

    registry: Memos
    meeting_id: int
    doc: Doc = field(default_factory=Doc)
    shared: bool = True
    ended: bool = False
    users: int = 0
    dirty: bool = False
    # An upper bound of the encoded document's size: exact at load and
    # after each save, plus the size of every update applied since.
    size: int = 0
    saved_sv: bytes = b"\x00"
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    failed: BaseException | None = None
    _save_scheduled: bool = False
    _subscription: contextlib.AbstractAsyncContextManager[Subscription] | None = None

    @property
    def text(self) -> Text:
        return self.doc.get(TEXT, type=Text)

    def state(self) -> bytes:
        return self.doc.get_update()

    def diff(self, client_sv: bytes) -> bytes:
        return self.doc.get_update(client_sv)

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    # Everything an instance hears on the memo's channel and the meeting's,
    # in the same turn as this instance's sockets hear it (see event_bus).
    def heard(self, message: dict[str, Any] | None) -> None:
        if message is None:  # the bus may have lost messages: ask again
            self.registry.spawn(self.want())
            return
        kind = message.get("type")
        if kind == "meeting.ended":
            self.ended = True
            self.registry.spawn(self.save())
            return
        if message.get("instance") == self.registry.instance:
            return  # our own, already applied
        if kind == "memo.update":
            with contextlib.suppress(Refused, ValueError, binascii.Error):
                data = base64.b64decode(message["update"])
                apply_update(self.doc, data)
                self.size += len(data)
        elif kind == "memo.access":
            self.shared = bool(message.get("shared"))
        elif kind == "memo.want" and self.users:
            self.registry.spawn(self.answer_want(message))

    async def publish(self, message: dict[str, Any]) -> None:
        message = {**message, "meeting_id": self.meeting_id, "instance": self.registry.instance}
        try:
            await services(self.registry.app).event_bus.publish(channel(self.meeting_id), message)
        except Exception:  # e.g. Redis unreachable: clients resync on reconnect
            log.exception("could not publish %s of meeting %s", message["type"], self.meeting_id)

    async def want(self) -> None:
        """Ask the other instances for what they hold and have not stored."""
        await self.publish({"type": "memo.want", "sv": encode(self.state_vector())})

    async def answer_want(self, message: dict[str, Any]) -> None:
        try:
            missing = self.diff(base64.b64decode(message.get("sv", "")))
        except Exception:
            return
        if len(missing) > 2:  # an empty update is two zero bytes
            await self.publish({"type": "memo.update", "update": encode(missing), "from": ""})

    async def load(self) -> None:
        app = self.registry.app
        async with services(app).db() as db:
            stored = await read(db, self.meeting_id)
            meeting = await db.get(Meeting, self.meeting_id)
        if stored.state:
            self.doc.apply_update(stored.state)
        self.shared = stored.shared
        self.ended = meeting is None or meeting.state == "ended"
        self.size = len(stored.state)
        self.saved_sv = self.state_vector()

    def apply(self, data: bytes, origin: str) -> dict[str, Any]:
        """Apply a client's update; returns the message to relay."""
        if len(data) > MAX_UPDATE_BYTES:
            raise Refused("memo_update_too_large", max_bytes=MAX_UPDATE_BYTES)
        if self.size + len(data) > MAX_STATE_BYTES:
            self.size = len(self.state())
            if self.size + len(data) > MAX_STATE_BYTES:
                raise Refused("memo_too_large", max_bytes=MAX_STATE_BYTES)
        apply_update(self.doc, data)
        self.size += len(data)
        self.changed()
        return {"type": "memo.update", "update": encode(data), "from": origin}

    def changed(self) -> None:
        self.dirty = True
        if not self._save_scheduled:
            self._save_scheduled = True
            self.registry.spawn(self._save_later(SAVE_AFTER))

    async def _save_later(self, delay: float) -> None:
        await anyio.sleep(delay)
        self._save_scheduled = False
        await self.save()

    async def save(self) -> None:
        """Store the document merged with what is stored (see the module)."""
        if not self.dirty:
            return
        self.dirty = False
        app = self.registry.app
        try:
            with anyio.CancelScope(shield=True):
                async with meetings.transaction(app) as db:
                    row = await lock_row(db, self.meeting_id)
                    before = self.state_vector()
                    if row.state:
                        # What another instance stored: already relayed to
                        # us in all likelihood; if not, our sockets get it.
                        self.doc.apply_update(row.state)
                    after = self.state_vector()
                    row.state = self.state()
                    row.text = plain_text(self.doc)
                    self.size = len(row.state)
                    saved = after
        except Exception:
            log.exception("could not save the memo of meeting %s", self.meeting_id)
            self.dirty = True
            if not self._save_scheduled:
                self._save_scheduled = True
                self.registry.spawn(self._save_later(SAVE_RETRY))
            return
        self.saved_sv = saved
        if after != before:
            await self.publish(
                {"type": "memo.update", "update": encode(self.diff(before)), "from": ""}
            )
        await self.publish({"type": "memo.saved", "sv": encode(saved)})


class Memos:
    """This instance's live memos, one per meeting with an open memo."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        # Tells this instance's own messages from the others' on the bus.
        self.instance = secrets.token_hex(8)
        self._live: dict[int, LiveMemo] = {}
        self._stacks: dict[int, contextlib.AsyncExitStack] = {}

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the app's background (it outlives the socket
        that caused it, and is cancelled when the server stops)."""

        async def run() -> None:
            await work

        try:
            services(self.app).background.start_soon(run)
        except RuntimeError:  # the app has stopped: nothing runs any more
            work.close()

    async def open(self, meeting_id: int) -> LiveMemo:
        memo = self._live.get(meeting_id)
        if memo is not None:
            memo.users += 1
            await memo.ready.wait()
            if memo.failed is not None:
                memo.users -= 1
                raise Refused("memo_unavailable")
            return memo
        memo = LiveMemo(self, meeting_id, users=1)
        self._live[meeting_id] = memo
        stack = contextlib.AsyncExitStack()
        try:
            # Listen first, then load: an update in between is heard, and
            # applying it twice is harmless.
            bus = services(self.app).event_bus
            subscription = await stack.enter_async_context(bus.subscribe(memo.heard))
            await subscription.add(channel(meeting_id))
            await subscription.add(f"meeting:{meeting_id}")
            await memo.load()
        except Exception as error:
            log.exception("could not open the memo of meeting %s", meeting_id)
            memo.failed = error
            memo.ready.set()
            del self._live[meeting_id]
            await stack.aclose()
            raise Refused("memo_unavailable") from None
        self._stacks[meeting_id] = stack
        memo.ready.set()
        await memo.want()
        return memo

    async def release(self, memo: LiveMemo) -> None:
        """A socket is done with the memo: save now; forget it when the last
        socket here is gone."""
        memo.users -= 1
        with anyio.CancelScope(shield=True):
            await memo.save()
            if memo.users == 0 and self._live.get(memo.meeting_id) is memo:
                del self._live[memo.meeting_id]
                stack = self._stacks.pop(memo.meeting_id, None)
                if stack is not None:
                    await stack.aclose()

    async def close(self) -> None:
        """The server is stopping: save every memo with unsaved changes."""
        for memo in list(self._live.values()):
            with anyio.CancelScope(shield=True):
                await memo.save()
        for stack in list(self._stacks.values()):
            await stack.aclose()
        self._stacks.clear()
        self._live.clear()

    def live(self, meeting_id: int) -> LiveMemo | None:
        return self._live.get(meeting_id)


# -- one socket's side of the memo ---------------------------------------------


def memo_budget() -> Budget:
    """How many memo messages a socket may send. A client batches its
    keystrokes (embed/memo.js sends at most every 40 ms)."""
    return Budget(rate=60.0, burst=300.0)


class MemoSocket:
    """The memo over one live socket (console or guest): the sync, the
    updates both ways, the host's controls, and what the socket may see."""

    def __init__(
        self,
        app: Starlette,
        subscription: Subscription,
        role: str,
        meeting_id: Any,
    ) -> None:
        self.app = app
        self.subscription = subscription
        self.role = role
        # A guest joins their meeting after the socket opens: asked each time.
        self._meeting_id = meeting_id if callable(meeting_id) else (lambda: meeting_id)
        self.id = secrets.token_hex(8)
        self.memo: LiveMemo | None = None
        # What this socket was last told of the guest's access, in the order
        # of its own messages (a guest's relay is filtered by it).
        self.shared = True
        self.budget = memo_budget()

    @property
    def meeting_id(self) -> int | None:
        return self._meeting_id()

    async def receive(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Answer one client message (``memo.*``); never raises for bad input."""
        if not self.budget.take():
            return [Refused("memo_too_many").message()]
        try:
            return await self._receive(message)
        except Refused as refused:
            return [refused.message()]
        except Exception as error:  # the database gone, or a bug: refuse, keep the socket
            log.exception("memo message failed: %s", type(error).__name__)
            return [Refused("memo_unavailable").message()]

    async def _receive(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        kind = message.get("type")
        if kind == "memo.watch":
            return [await self.watch()]
        if kind == "memo.sync":
            return await self.sync(message.get("sv"))
        if kind == "memo.update":
            return await self.update(message.get("update"))
        if kind == "memo.share":
            return await self.share(message.get("shared"))
        if kind == "memo.template":
            return await self.template(message.get("template_id"))
        raise Refused("memo_unknown_message")

    def _meeting(self) -> int:
        meeting_id = self.meeting_id
        if meeting_id is None:
            raise Refused("memo_not_in_meeting")
        return meeting_id

    async def _subscribe(self, meeting_id: int) -> None:
        await self.subscription.add(channel(meeting_id))

    async def watch(self) -> dict[str, Any]:
        """A guest's widget learns whether the memo is shown to them (and
        hears when that changes) without loading the memo."""
        meeting_id = self._meeting()
        await self._subscribe(meeting_id)
        memo = memos(self.app).live(meeting_id)
        if memo is not None:
            shared = memo.shared
        else:
            async with services(self.app).db() as db:
                shared = (await read(db, meeting_id)).shared
        self.shared = shared
        return {"type": "memo.access", "meeting_id": meeting_id, "shared": shared}

    async def _open(self) -> LiveMemo:
        meeting_id = self._meeting()
        if self.memo is None:
            # Subscribe before the document's state is read, so no update
            # falls between the answer and the relay.
            await self._subscribe(meeting_id)
            self.memo = await memos(self.app).open(meeting_id)
        return self.memo

    async def sync(self, sv: object) -> list[dict[str, Any]]:
        client_sv = state_vector(sv)
        memo = await self._open()
        self.shared = memo.shared
        meeting_id = memo.meeting_id
        if self.role == GUEST and not memo.shared:
            return [{"type": "memo.access", "meeting_id": meeting_id, "shared": False}]
        answer: dict[str, Any] = {
            "type": "memo.state",
            "meeting_id": meeting_id,
            "update": encode(memo.diff(client_sv)),
            "sv": encode(memo.state_vector()),
            "saved_sv": encode(memo.saved_sv),
            "shared": memo.shared,
            "writable": not memo.ended,
        }
        if self.role == CONSOLE:
            async with services(self.app).db() as db:
                templates = await list_templates(db)
            answer["templates"] = [{"id": t.id, "name": t.name} for t in templates]
            answer["empty"] = not plain_text(memo.doc)
        return [answer]

    def _writable(self, memo: LiveMemo) -> None:
        if memo.ended:
            raise Refused("memo_read_only")
        if self.role == GUEST and not memo.shared:
            raise Refused("memo_host_only")

    async def update(self, value: object) -> list[dict[str, Any]]:
        if self.memo is None:
            raise Refused("memo_not_synced")
        memo = self.memo
        self._writable(memo)
        data = decode(value)
        relay = memo.apply(data, self.id)
        await memo.publish(relay)
        return []

    async def share(self, shared: object) -> list[dict[str, Any]]:
        if self.role != CONSOLE:
            raise Refused("memo_not_allowed")
        if not isinstance(shared, bool):
            raise Refused("memo_invalid_message")
        memo = await self._open()
        if memo.ended:
            raise Refused("memo_read_only")
        async with meetings.transaction(self.app) as db:
            row = await lock_row(db, memo.meeting_id)
            row.shared_with_guest = shared
        memo.shared = shared
        await memo.publish({"type": "memo.access", "shared": shared})
        return []

    async def template(self, template_id: object) -> list[dict[str, Any]]:
        if self.role != CONSOLE:
            raise Refused("memo_not_allowed")
        if not isinstance(template_id, int) or isinstance(template_id, bool):
            raise Refused("memo_template_not_found")
        memo = await self._open()
        self._writable(memo)
        async with services(self.app).db() as db:
            chosen = await db.get(MemoTemplate, template_id)
        if chosen is None:
            raise Refused("memo_template_not_found")
        if plain_text(memo.doc):
            raise Refused("memo_not_empty")
        before = memo.state_vector()
        memo.text.insert(0, chosen.body[:MAX_TEMPLATE_CHARS])
        data = memo.diff(before)
        memo.size += len(data)
        async with meetings.transaction(self.app) as db:
            await set_template(db, memo.meeting_id, chosen.id)
        memo.changed()
        # Relayed to this socket too: its client has not got the text yet.
        await memo.publish({"type": "memo.update", "update": encode(data), "from": ""})
        return []

    def outgoing(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """What of a relayed memo message this socket's client gets."""
        kind = message.get("type")
        if kind == "memo.access":
            self.shared = bool(message.get("shared"))
            return _public(message)
        if kind == "memo.want":
            return None
        if self.memo is None or message.get("from") == self.id:
            return None  # not open here, or this socket's own update
        if self.role == GUEST and not self.shared:
            return None  # host-only notes
        return _public(message)

    async def close(self) -> None:
        if self.memo is not None:
            memo, self.memo = self.memo, None
            await memos(self.app).release(memo)


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """A bus message as a client gets it: without the server's bookkeeping."""
    return {k: v for k, v in message.items() if k not in ("from", "instance")}


def memos(app: Starlette) -> Memos:
    return services(app).memos
