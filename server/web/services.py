"""The app's services, typed: one object instead of attributes on ``app.state``.

:func:`server.web.app.create_app` builds a :class:`Services` from the
settings; its lifespan opens the rest (database, Redis-backed pieces, the
ingest pool) at startup. Handlers, sockets and background work reach it
through :func:`services`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
    from starlette.applications import Starlette
    from starlette.templating import Jinja2Templates

    from capture.ingest_pool import IngestPool
    from server.accounts.passwords import Passwords
    from server.accounts.rate_limits import RateLimiter
    from server.live.event_bus import EventBus
    from server.meetings.memo import Memos
    from server.meetings.presence import Presence
    from server.settings import Settings
    from server.storage.blobs import BlobStore
    from sms.senders import SmsSender


@dataclass(eq=False)
class Services:
    """Everything a request may need besides the request itself.

    The first four exist from :func:`create_app` on; the others are opened
    by the lifespan at startup (reading one before then raises
    ``AttributeError``, as ``app.state`` did). Not frozen: tests swap
    ``settings`` or the engine to provoke a case.
    """

    settings: Settings
    blobs: BlobStore
    passwords: Passwords
    templates: Jinja2Templates
    engine: AsyncEngine = field(init=False)
    # Sessions on ``engine``: ``async with services(r).db.begin() as db``.
    db: async_sessionmaker[AsyncSession] = field(init=False)
    rate_limiter: RateLimiter = field(init=False)
    event_bus: EventBus = field(init=False)
    sms_sender: SmsSender = field(init=False)
    ingest: IngestPool = field(init=False)
    # See lifecycle.transaction: on SQLite, writers queue here.
    write_lock: AbstractAsyncContextManager[object] = field(init=False)
    # Work that outlives the request that started it, cancelled at shutdown.
    background: TaskGroup = field(init=False)
    presence: Presence = field(init=False)
    # The shared memos this instance has open (server/meetings/memo.py).
    memos: Memos = field(init=False)


def attach(app: Starlette, services_: Services) -> None:
    """Make ``services_`` reachable from ``app``'s requests and sockets.

    It is the one thing kept on ``app.state``: Starlette hands handlers the
    app (``request.app``) and nothing else of ours, and ``state`` is its
    place for app-wide objects.
    """
    app.state.services = services_


def services(source: HTTPConnection | Starlette) -> Services:
    """The services of the app serving ``source`` (a request or a WebSocket),
    or of ``source`` itself when it is the app."""
    app = source.app if isinstance(source, HTTPConnection) else source
    return app.state.services
