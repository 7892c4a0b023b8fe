"""A database that is overloaded or briefly out of reach is answered with a
503 and Retry-After, never a 500; a console socket rides out a failed login
re-check and, if the database stays away, asks the client to come back
later (close code 1013), while a lapsed login still closes with 4401."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.accounts import login_sessions
from server.live import sockets as live
from server.storage.database import create_engine, session_factory
from server.web.services import services
from tests.served_app import serving


@contextlib.asynccontextmanager
async def swapped_engine(app: Starlette, engine) -> AsyncIterator[None]:
    """Serve the app from ``engine`` for a while."""
    before = services(app).engine, services(app).db
    services(app).engine, services(app).db = engine, session_factory(engine)
    try:
        yield
    finally:
        services(app).engine, services(app).db = before
        await engine.dispose()


@contextlib.asynccontextmanager
async def one_connection_pool(app: Starlette) -> AsyncIterator[AsyncConnection]:
    """The app on a pool of one connection that waits 0.2 s for it; yields
    that connection, taken: until it is returned, the pool is exhausted."""
    engine = create_async_engine(
        services(app).settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.2
    )
    async with swapped_engine(app, engine):
        connection = await engine.connect()
        try:
            yield connection
        finally:
            await connection.close()


async def test_an_exhausted_pool_is_a_503_with_retry_after_not_a_500(app, host):
    async with one_connection_pool(app) as taken:
        api = await host.get("/api/v1/meetings")
        page = await host.get("/")
        guest = await host.post("/api/v1/guest/numbers", json={})

        await taken.close()  # the connection comes back: so does the service
        again = await host.get("/api/v1/meetings")

    assert api.status_code == 503
    assert api.headers["retry-after"] == "2"
    assert api.json()["error"]["code"] == "database_busy"
    assert page.status_code == 503
    assert "混み合っています" in page.text
    assert guest.status_code == 503
    assert again.status_code == 200


async def test_an_unreachable_database_is_a_503(app, client):
    # Nothing listens on port 1: every connection attempt is refused.
    async with swapped_engine(app, create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/x")):
        refused = await client.post("/api/v1/guest/numbers", json={})
        health = await client.get("/healthz")

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["error"]["code"] == "database_busy"
    assert health.status_code == 503


# -- the console's live socket and its login re-check -------------------------


@pytest.fixture
def recheck_at_once(monkeypatch):
    """Re-check the login on every message, and retry without waiting long."""
    monkeypatch.setattr(live, "RECHECK_EVERY", 0.0)
    monkeypatch.setattr(live, "RECHECK_RETRIES", (0.05, 0.05))


def console_socket(served, host):
    cookie = f"tsunagu_session={host.cookies['tsunagu_session']}"
    return connect(
        served.ws_url + "/api/v1/live", origin=served.url, additional_headers={"cookie": cookie}
    )


async def closed_with(socket) -> int:
    with anyio.fail_after(10), pytest.raises(ConnectionClosed) as closed:
        while True:
            await socket.recv()
    return closed.value.rcvd.code


async def test_a_console_socket_whose_recheck_cannot_reach_the_database_closes_with_1013(
    app, host, recheck_at_once, caplog
):
    async with (
        serving(app) as served,
        console_socket(served, host) as socket,
        one_connection_pool(app),
    ):
        await socket.send('{"type": "ping"}')
        code = await closed_with(socket)

    assert code == live.TRY_AGAIN_LATER
    tries = [r for r in caplog.records if "login re-check" in r.getMessage()]
    assert len(tries) == 1 + len(live.RECHECK_RETRIES)


async def test_a_console_socket_rides_out_a_moment_without_the_database(
    app, host, monkeypatch, recheck_at_once
):
    monkeypatch.setattr(live, "RECHECK_RETRIES", (1.0,))
    failed = LogSeen("login re-check")
    logging.getLogger("tsunagu.live").addHandler(failed)
    try:
        async with (
            serving(app) as served,
            console_socket(served, host) as socket,
            one_connection_pool(app) as taken,
        ):
            await socket.send('{"type": "ping"}')
            assert await socket.recv() == '{"type": "pong"}'
            with anyio.fail_after(10):
                await failed.seen.wait()  # the first try failed...
            await taken.close()  # ...and the database is back before the retry

            await socket.send('{"type": "ping"}')
            with anyio.fail_after(10):
                assert await socket.recv() == '{"type": "pong"}'
    finally:
        logging.getLogger("tsunagu.live").removeHandler(failed)


class LogSeen(logging.Handler):
    """Sets ``seen`` when a record containing ``text`` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


async def test_a_console_socket_whose_login_lapsed_still_closes_with_4401(
    app, host, recheck_at_once
):
    async with serving(app) as served, console_socket(served, host) as socket:
        async with services(app).db.begin() as db:  # logged out elsewhere, or expired
            await login_sessions.end_session(db, host.cookies["tsunagu_session"])
        await socket.send('{"type": "ping"}')
        code = await closed_with(socket)

    assert code == live.UNAUTHORIZED
