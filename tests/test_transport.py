"""Transport limits of the server as ``tsunagu run`` starts it, over real
sockets: oversized headers are refused, clients that trickle their headers
or body are cut off, and ordinary requests and live sockets are unaffected."""

from __future__ import annotations

import contextlib
import json
import socket

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect

from server.web.transport import MAX_HEADER_BYTES
from tests.live_server import LiveServer, start_server

TIMEOUT = "1"  # seconds, for headers and for each body chunk


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("transport"),
        TSUNAGU_HEADER_TIMEOUT=TIMEOUT,
        TSUNAGU_BODY_TIMEOUT=TIMEOUT,
    )
    yield running
    running.stop()


def open_socket(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def answer_then_eof(sock: socket.socket, between_sends: bytes = b"") -> bytes:
    """Everything the server sends until it closes the connection. With
    ``between_sends``, send it one byte at a time while waiting: a client
    that trickles, each byte well within any timeout of its own."""
    received = b""
    pending = list(between_sends)
    sock.settimeout(0.3 if pending else 10)
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if not pending:
                raise AssertionError("the server kept the connection open") from None
            with contextlib.suppress(OSError):
                sock.sendall(bytes([pending.pop(0)]))
            sock.settimeout(0.3 if pending else 10)
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def test_a_huge_header_gets_431_and_the_connection_closed(server):
    with open_socket(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        filler = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        with contextlib.suppress(OSError):  # the server may hang up mid-way
            for _ in range(2 * MAX_HEADER_BYTES // len(filler)):
                sock.sendall(filler)
        answer = answer_then_eof(sock)

    assert answer.startswith(b"HTTP/1.1 431 ")
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "request_header_too_large"


def test_a_client_trickling_its_headers_is_cut_off_after_the_timeout(server):
    with open_socket(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        # One byte every 0.3 s would take 30 s: the server does not wait.
        answer = answer_then_eof(sock, between_sends=b"X-Slow: " + b"a" * 100)

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request_timeout" in answer


def test_a_client_that_connects_and_sends_nothing_is_cut_off(server):
    with open_socket(server) as sock:
        answer = answer_then_eof(sock)

    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_client_stalling_in_its_body_is_cut_off(server):
    with open_socket(server) as sock:
        sock.sendall(
            b"POST /api/v1/guest/numbers HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = answer_then_eof(sock)

    # Nothing more came within the timeout: the connection is closed, and
    # the request was not processed as if it were complete.
    assert b"201" not in answer.split(b"\r\n", 1)[0]


def cut_off_while_idle(server: LiveServer) -> bytes:
    with open_socket(server) as sock:
        return answer_then_eof(sock)


async def test_ordinary_requests_and_live_sockets_are_unaffected(server):
    url = server.url.replace("http", "ws", 1) + "/api/v1/guest/live"
    async with httpx.AsyncClient(base_url=server.url) as client:
        issued = await client.post("/api/v1/guest/numbers", json={})
        async with connect(url) as guest:
            await guest.send(json.dumps({"type": "hello", "token": issued.json()["guest_token"]}))
            # Another client is cut off after the timeout; the live socket,
            # no longer HTTP, outlives it.
            idle = await anyio.to_thread.run_sync(cut_off_while_idle, server)
            await guest.send(json.dumps({"type": "ping"}))
            with anyio.fail_after(10):
                assert json.loads(await guest.recv()) == {"type": "pong"}
        again = await client.get("/healthz")  # the kept-alive connection, after a pause
        demo = await client.get(server.demo_url + "/")

    assert issued.status_code == 201
    assert idle.startswith(b"HTTP/1.1 408 ")
    assert again.status_code == 200
    assert demo.status_code == 200
