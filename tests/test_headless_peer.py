"""The headless peer cleans up after itself, even when it cannot join."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from http import HTTPStatus

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from server.clients.headless_peer import HeadlessPeer


class FakeServer:
    """Just enough of the guest API for a peer to start: the call's ICE
    servers over HTTP, and the live socket, whose closing it notices."""

    def __init__(self) -> None:
        self.url = ""
        self.opened = 0
        self.closed = asyncio.Event()

    def answer_http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/api/v1/guest/call":
            return connection.respond(HTTPStatus.OK, json.dumps({"ice_servers": []}))
        return None  # the live socket

    async def live(self, socket: ServerConnection) -> None:
        self.opened += 1
        with contextlib.suppress(Exception):
            async for _ in socket:
                pass
        self.closed.set()


@contextlib.asynccontextmanager
async def fake_server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    async with serve(fake.live, "127.0.0.1", 0, process_request=fake.answer_http) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        fake.url = f"http://127.0.0.1:{port}"
        yield fake


def peer_tasks() -> list[asyncio.Task]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_coro().__qualname__.startswith("HeadlessPeer.")
    ]


async def test_a_start_that_fails_partway_leaves_no_task_or_socket_behind(monkeypatch):
    async with fake_server() as server:
        peer = HeadlessPeer(server.url, "guest-token")

        async def hello_refused(kind: str, **data: object) -> None:
            # The last step of a start: the socket is open and its reader
            # and pinger run by now.
            assert peer_tasks(), "the peer's tasks had not started"
            raise ConnectionError("hello refused")

        monkeypatch.setattr(peer, "_signal", hello_refused)

        with pytest.raises(ConnectionError):
            async with peer:
                pytest.fail("the peer started")

        assert server.opened == 1
        async with asyncio.timeout(5):
            await server.closed.wait()  # the server saw the socket close
        assert peer_tasks() == []


async def test_a_start_given_up_on_leaves_no_task_or_socket_behind(monkeypatch):
    async with fake_server() as server:
        peer = HeadlessPeer(server.url, "guest-token")
        waiting = asyncio.Event()

        async def no_answer(kind: str, **data: object) -> None:
            waiting.set()
            await asyncio.Event().wait()  # a server that never answers

        monkeypatch.setattr(peer, "_signal", no_answer)
        starting = asyncio.create_task(peer.start())
        await waiting.wait()
        starting.cancel()

        with pytest.raises(asyncio.CancelledError):
            await starting
        async with asyncio.timeout(5):
            await server.closed.wait()
        assert peer_tasks() == []
