"""The ASGI application, built explicitly from settings by :func:`create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket

from capture.ingest_pool import IngestPool
from server import api, console
from server.accounts.auth import refreshed_session_cookie
from server.accounts.passwords import Passwords
from server.accounts.rate_limits import create_rate_limiter
from server.console.rendering import error_page, login_redirect, templates
from server.documents import library as documents
from server.live import sockets as live
from server.live.event_bus import create_event_bus
from server.meetings import recordings, retention
from server.meetings.memo import Memos
from server.meetings.presence import Presence
from server.settings import Settings
from server.storage.blobs import create_blob_store
from server.storage.database import (
    alembic_config,
    create_engine,
    is_unavailable,
    ping,
    session_factory,
)
from server.web import record_ids
from server.web.cors import GuestCors
from server.web.errors import ApiError, error_response, from_http_exception
from server.web.response_headers import AddHeaders, Headers
from server.web.services import Services, attach, services
from sms.senders import create_sender

log = logging.getLogger("tsunagu")
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
EMBED_DIR = Path(__file__).resolve().parents[2] / "embed"
FAVICON = STATIC_DIR / "favicon.ico"
# Seconds a client waits before retrying when the database is overloaded:
# long enough for a burst to drain, short enough that nobody gives up.
DATABASE_RETRY_AFTER = 2


class EmbedFiles(StaticFiles):
    """The snippet's files, loaded by pages on any origin.

    The widget and the capture module are imported as ES modules, which a
    browser fetches in CORS mode: without ``Access-Control-Allow-Origin`` it
    refuses them. Nothing here is private. The loader, on every page view of
    every visitor, is cached for five minutes (an upgrade reaches pages within
    that); the parts only guests who tap load are revalidated each time (a 304
    by ETag), so they are never older than the loader that imports them.
    """

    def file_response(self, full_path, *args, **kwargs) -> Response:
        response = super().file_response(full_path, *args, **kwargs)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        loader = Path(full_path).name == "snippet.js"
        response.headers["Cache-Control"] = "public, max-age=300" if loader else "no-cache"
        return response


async def favicon(request: Request) -> Response:
    """``/favicon.ico``, which browsers, bookmarks and link previews ask for
    whatever a page links (Safari and older browsers cannot use the SVG).
    Drawn from ``favicon.svg`` at 16, 32 and 48 px."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


class SchemaOutOfDate(RuntimeError):
    pass


def create_app(settings: Settings) -> Starlette:
    """Build the app. ``settings`` must already be resolved."""
    record_ids.register()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        rate_limiter = create_rate_limiter(settings.redis_url)
        event_bus = create_event_bus(settings.redis_url)
        sms_sender = create_sender(settings)
        # Capture ingest's worker processes (forked on demand from a fork
        # server that is started before the app takes requests).
        ingest_pool = IngestPool(settings.ingest_workers, settings.ingest_queue)
        try:
            await check_schema(engine)
            await anyio.to_thread.run_sync(shared.blobs.check)
            shared.engine = engine
            shared.db = session_factory(engine)
            shared.rate_limiter = rate_limiter
            shared.event_bus = event_bus
            shared.sms_sender = sms_sender
            shared.ingest = ingest_pool
            await anyio.to_thread.run_sync(ingest_pool.prepare)
            # See lifecycle.transaction: SQLite writers queue here instead.
            shared.write_lock = asyncio.Lock() if settings.is_sqlite else contextlib.nullcontext()
            # Work that outlives the request that started it (a closed guest
            # socket's grace period, see server/live/sockets.py). Cancelled at shutdown,
            # before the database goes, so each piece finishes at once.
            async with anyio.create_task_group() as background:
                shared.background = background
                # Presence leases: this process's heartbeat and its reaper.
                shared.presence = Presence(app)
                shared.memos = Memos(app)
                if settings.presence_reaper:
                    background.start_soon(shared.presence.run)
                # Orphan blobs, temporary files and expired data, now and
                # then periodically (server/meetings/retention.py).
                background.start_soon(retention.housekeeping, app)
                # Recordings that must stop (lost host, maximum) or be remuxed.
                background.start_soon(recordings.watch, app)
                # Documents a stopped process left half rasterised (issue #15).
                background.start_soon(documents.watch, app)
                yield
                # Unsaved memo edits are stored before anything stops.
                await shared.memos.close()
                background.cancel_scope.cancel()
        finally:
            await anyio.to_thread.run_sync(ingest_pool.close)
            await sms_sender.close()
            await event_bus.close()
            await rate_limiter.close()
            await engine.dispose()

    shared = Services(
        settings=settings,
        blobs=create_blob_store(settings),
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
        templates=templates(),
    )
    # Captures may redirect to the object store (presigned URLs): the
    # console's pages must be allowed to show images from there.
    csp = console_csp(shared.blobs.origin())
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        *api.routes(),
        *live.routes(),
        *console.routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        # The snippet and its lazily imported capture module, for owners' pages.
        Mount("/embed", EmbedFiles(directory=EMBED_DIR), name="embed"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            SQLAlchemyError: handle_database_error,
            Exception: handle_unexpected,
        },
        middleware=[
            Middleware(GuestCors),
            Middleware(AddHeaders, source=functools.partial(security_headers, csp=csp)),
            Middleware(AddHeaders, source=refreshed_session_cookie),
        ],
    )
    attach(app, shared)
    return app


async def check_schema(engine: AsyncEngine) -> None:
    """Refuse to start on a database that migrations have not caught up with,
    rather than failing later on the first query that touches a new column."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, code expects {head}: "
            "run `tsunagu migrate`"
        )


async def healthz(request: Request) -> JSONResponse:
    try:
        await ping(services(request).engine)
    except Exception as exc:  # any failure means "not healthy", never a 500
        log.warning("health check: database unavailable: %s", exc)
        return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/sms/")) or request.url.path == "/healthz"


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if wants_json(request):
        return error_response(request, exc)
    if exc.status == 401:
        return login_redirect(request)
    return error_page(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return await handle_api_error(request, from_http_exception(exc))


async def handle_database_error(conn: Request | WebSocket, exc: Exception) -> Response | None:
    """A database that is overloaded (no pooled connection came in time) or
    briefly out of reach is a 503 the client retries, not a 500. A live
    socket is closed with 1013 (try again later), which clients reconnect
    after."""
    if not is_unavailable(exc):
        raise exc  # a bug: handle_unexpected answers it, and it is logged
    log.warning("database unavailable on %s: %s", conn.url.path, exc)
    if isinstance(conn, WebSocket):
        await live.close(conn, code=live.TRY_AGAIN_LATER)
        return None
    error = ApiError(503, "database_busy", headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
    if wants_json(conn):
        return error_response(conn, error)
    return error_page(conn, error)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # Only reached through a bug; the person still gets the usual JSON shape.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    error = ApiError(500, "internal_error")
    if wants_json(request):
        return error_response(request, error)
    return error_page(request, error)


CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def console_csp(blob_origin: str) -> str:
    """:data:`CONSOLE_CSP`, with images also allowed from ``blob_origin``."""
    if not blob_origin:
        return CONSOLE_CSP
    # Recordings play from there too (a redirect to the store, see api/recordings.py).
    return CONSOLE_CSP.replace(
        "img-src 'self' data:",
        f"img-src 'self' data: {blob_origin}; media-src 'self' {blob_origin}",
    )


def security_headers(scope: Scope, headers: Headers, csp: str = CONSOLE_CSP) -> Headers:
    """Every response: no MIME sniffing, no full referrers. HTML pages: a
    strict CSP (no inline script, nothing from other origins, no framing)."""
    present = {name.lower() for name, _ in headers}
    extra = {b"x-content-type-options": b"nosniff", b"referrer-policy": b"same-origin"}
    if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
        extra[b"content-security-policy"] = csp.encode()
        extra[b"x-frame-options"] = b"DENY"
    return [(name, value) for name, value in extra.items() if name not in present]
