"""The event bus: live events fanned out to the WebSockets that want them.

One small interface, two backends chosen by settings (like
encode/broadcaster): in-process for one server, Redis pub/sub when several
server processes share the work. Either way, each process keeps one local
fan-out from channels to subscriber queues; Redis only carries messages
between processes, over one pub/sub connection per process.

The bus is for *live delivery* only. Events are stored in the database
first (``meetings.record_event``), so a subscriber that misses something
(slow, reconnecting, a restart) catches up from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import redis.asyncio as redis

log = logging.getLogger("tsunagu.events")
QUEUE_SIZE = 1000


class Subscription:
    """Messages for the channels subscribed to, in order. Ends (``closed``)
    if the subscriber falls too far behind; it should then reconnect and
    catch up from the database."""

    def __init__(
        self, fanout: Fanout, on_message: Callable[[dict[str, Any] | None], None] | None = None
    ) -> None:
        self._fanout = fanout
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self._on_message = on_message
        self.channels: set[str] = set()
        self.closed = False

    async def add(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self._fanout.attach(channel, self)

    def deliver(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        if self._on_message is not None:
            self._on_message(message)
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.end()

    def end(self) -> None:
        """Stop here: drop what is queued (so no event is skipped over) and
        tell the reader to reconnect and catch up from the database. A
        subscription with ``on_message`` is told with ``None`` and goes on
        (it has no queue to drop; it catches up as it sees fit)."""
        if self._on_message is not None:
            self._on_message(None)
            return
        self.closed = True
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def get(self) -> dict[str, Any] | None:
        """The next message, or ``None`` once the subscription has ended."""
        message = await self._queue.get()
        if message is None:
            self.closed = True
        return message


class Fanout:
    """Channel -> local subscriptions. ``on_first``/``on_last`` let a
    backend (Redis) subscribe upstream only to channels someone here wants."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    async def attach(self, channel: str, subscription: Subscription) -> None:
        first = channel not in self._subscribers
        self._subscribers.setdefault(channel, set()).add(subscription)
        if first:
            await self.on_first(channel)
        else:
            await self.ready(channel)

    async def detach(self, subscription: Subscription) -> None:
        for channel in subscription.channels:
            subscribers = self._subscribers.get(channel)
            if subscribers is None:
                continue
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[channel]
                await self.on_last(channel)

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            subscription.deliver(message)

    def end_all(self) -> None:
        """Messages may have been lost: every subscriber must catch up."""
        for subscriptions in list(self._subscribers.values()):
            for subscription in list(subscriptions):
                subscription.end()

    async def on_first(self, channel: str) -> None:
        pass

    async def ready(self, channel: str) -> None:
        """Wait until messages on ``channel`` are being received."""

    async def on_last(self, channel: str) -> None:
        pass


class EventBus(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(
        self, on_message: Callable[[dict[str, Any] | None], None] | None = None
    ) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """A subscription read with ``get()``; or, with ``on_message``, one
        whose messages are handed to it as they arrive, in the same turn as
        to every other subscriber here (the shared memo keeps its document
        current this way, see server/meetings/memo.py)."""
        ...

    async def close(self) -> None: ...


class MemoryEventBus(Fanout):
    """For one server process: nothing to install."""

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.deliver(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, on_message: Callable[[dict[str, Any] | None], None] | None = None
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(self, on_message)
        try:
            yield subscription
        finally:
            await self.detach(subscription)

    async def close(self) -> None:
        pass


class RedisEventBus(MemoryEventBus):
    """For several server processes sharing one Redis."""

    def __init__(self, url: str, prefix: str = "tsunagu:events:") -> None:
        super().__init__()
        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub()
        self._prefix = prefix
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._confirmed: dict[str, asyncio.Event] = {}

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(self._prefix + channel, json.dumps(message))

    async def on_first(self, channel: str) -> None:
        # SUBSCRIBE is only sent here; Redis confirms it on the reader's
        # connection. Waiting for that confirmation means a caller that then
        # reads the database cannot miss an event published in between.
        name = self._prefix + channel
        self._confirmed[name] = asyncio.Event()
        async with self._lock:
            await self._pubsub.subscribe(name)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read())
        await self.ready(channel)

    async def ready(self, channel: str) -> None:
        confirmed = self._confirmed.get(self._prefix + channel)
        if confirmed is not None:  # a later subscriber waits for the same confirmation
            async with asyncio.timeout(5):
                await confirmed.wait()

    async def on_last(self, channel: str) -> None:
        self._confirmed.pop(self._prefix + channel, None)
        async with self._lock:
            await self._pubsub.unsubscribe(self._prefix + channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                name = message["channel"].decode()
                if message["type"] == "subscribe" and name in self._confirmed:
                    self._confirmed[name].set()
                elif message["type"] == "message":
                    self.deliver(name.removeprefix(self._prefix), json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                # A dropped connection (redis-py reconnects and resubscribes
                # on the next call) or a bad message. Anything may have been
                # missed, so every subscriber reconnects and catches up.
                log.exception("reading from Redis pub/sub failed; subscribers will catch up")
                self.end_all()
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
        await self._redis.aclose()


def create_event_bus(redis_url: str) -> EventBus:
    """Redis when a URL is configured, else in-process."""
    return RedisEventBus(redis_url) if redis_url else MemoryEventBus()
