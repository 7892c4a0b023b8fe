"""Input that used to give a 500 now gets a 4xx with a stable code (or, on a
socket, a clean close): numbers too long for any field, cursors beyond
64 bits, and WebSocket clients that break the protocol around their hello."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import socket

import anyio
import pytest
from websockets.asyncio.client import connect

from tests.conftest import csrf_token, http_client, log_in
from tests.served_app import Served, serving

HUGE = "9" * 5000  # beyond Python's 4,300-digit int conversion limit


def with_number(template: str, number: str) -> bytes:
    return template.replace("N", number).encode()


@pytest.fixture
async def host(app, make_user):
    await make_user("tanaka", role="admin")
    async with http_client(app) as client:
        await log_in(client, "tanaka")
        client.headers["x-csrf-token"] = await csrf_token(client)
        yield client


@pytest.mark.parametrize(
    "number", [HUGE, "-" + HUGE, "9223372036854775808", "1" * 20, "1e999", "0." + "1" * 100]
)
async def test_a_number_no_field_could_hold_is_a_422_even_unauthenticated(client, number):
    response = await client.post(
        "/api/v1/guest/numbers",
        content=with_number('{"site_key": N}', number),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "number_out_of_range"
    assert "19" in error["message"]


async def test_nan_and_infinity_are_not_json(client):
    for constant in ("NaN", "Infinity", "-Infinity"):
        response = await client.post(
            "/api/v1/guest/numbers",
            content=with_number('{"site_key": N}', constant),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, constant
        assert response.json()["error"]["code"] == "number_out_of_range"


async def test_a_huge_number_is_a_422_on_the_logged_in_endpoints_too(host):
    for path, template in [
        ("/api/v1/meetings", '{"number": N}'),
        ("/api/v1/users", '{"username": "x", "password": "y", "role": N}'),
        ("/api/v1/tokens", '{"name": [1, 2, N]}'),
        ("/api/v1/sites", '{"name": "s", "origins": [{"deep": N}]}'),
    ]:
        response = await host.post(
            path, content=with_number(template, HUGE), headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == "number_out_of_range"


async def test_ordinary_numbers_still_reach_validation(client):
    # A 64-bit number parses; the field then says what is wrong with it.
    response = await client.post(
        "/api/v1/guest/numbers",
        content=with_number('{"site_key": N}', "9223372036854775807"),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_an_event_cursor_beyond_64_bits_is_a_422(host):
    issued = await host.post("/api/v1/guest/numbers", json={})
    meeting = (await host.post("/api/v1/meetings", json={"number": issued.json()["number"]})).json()
    events = f"/api/v1/meetings/{meeting['id']}/events"

    largest = await host.get(f"{events}?after={2**63 - 1}")
    too_large = await host.get(f"{events}?after={2**63}")
    absurd = await host.get(f"{events}?after={HUGE}")

    assert largest.status_code == 200
    assert largest.json()["events"] == []
    assert too_large.status_code == 422
    assert too_large.json()["error"]["code"] == "invalid_after"
    assert absurd.json()["error"]["code"] == "invalid_after"


# -- sockets that break the protocol ------------------------------------------


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or "Unexpected ASGI message" in record.getMessage()
    ]


def handshake(served: Served, path: str, origin: str | None = None) -> socket.socket:
    """A raw TCP connection with the WebSocket handshake done, for clients
    that then misbehave in ways a WebSocket library would not."""
    sock = socket.create_connection((served.host, served.port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {served.host}:{served.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *([f"Origin: {origin}"] if origin else []),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk, "closed during the handshake"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def masked_text(text: str) -> bytes:
    payload = text.encode()
    assert len(payload) < 126
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


def until_closed(sock: socket.socket) -> None:
    """Read until the server closes the connection (EOF), 10 s at most."""
    sock.settimeout(10)
    with contextlib.suppress(ConnectionResetError):
        while sock.recv(4096):
            pass


GUEST = "/api/v1/guest/live"


def close_at_once(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.sendall(bytes([0x88, 0x82]) + b"\0\0\0\0" + (1000).to_bytes(2, "big"))
    until_closed(sock)


def vanish(served: Served) -> None:
    handshake(served, GUEST).close()


def vanish_with_reset(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    sock.close()


def garbage_then_close(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.sendall(b"\xff\xff\xff\xff garbage")
    sock.shutdown(socket.SHUT_WR)
    until_closed(sock)


def garbage_then_wait(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.sendall(b"\x8f\x80\0\0\0\0")  # a reserved opcode
    until_closed(sock)


def unmasked_hello(served: Served) -> None:
    sock = handshake(served, GUEST)
    payload = json.dumps({"type": "hello", "token": "x"}).encode()
    sock.sendall(bytes([0x81, len(payload)]) + payload)  # clients must mask
    until_closed(sock)


def half_a_hello(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.sendall(masked_text(json.dumps({"type": "hello", "token": "x"}))[:9])
    sock.close()


def forged_hello_then_vanish(served: Served) -> None:
    sock = handshake(served, GUEST)
    sock.sendall(masked_text(json.dumps({"type": "hello", "token": "forged"})))
    sock.close()


def huge_number_hello(served: Served) -> None:
    sock = handshake(served, GUEST)
    hello = '{"type": "hello", "after": ' + HUGE + "}"
    payload = hello.encode()
    mask = b"\0\0\0\0"
    sock.sendall(bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + mask + payload)
    # Read as far as the server's close frame (no token: 4401), then leave
    # without answering it.
    sock.settimeout(10)
    received = b""
    while len(received) < 4:
        received += sock.recv(4096)
    assert received[0] == 0x88 and int.from_bytes(received[2:4], "big") == 4401, received
    sock.close()


def console_garbage(served: Served) -> None:
    sock = handshake(served, "/api/v1/live", origin=served.url)
    sock.sendall(b"\xff\xff\xff\xff garbage")
    until_closed(sock)


def console_foreign_then_vanish(served: Served) -> None:
    sock = socket.create_connection((served.host, served.port))
    sock.sendall(
        b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Origin: https://evil.example\r\n\r\n"
    )
    sock.close()


MISBEHAVING = [
    close_at_once,
    vanish,
    vanish_with_reset,
    garbage_then_close,
    garbage_then_wait,
    unmasked_hello,
    half_a_hello,
    forged_hello_then_vanish,
    huge_number_hello,
    console_garbage,
    console_foreign_then_vanish,
]


async def test_clients_that_break_the_websocket_protocol_log_no_error(app, caplog):
    caplog.set_level(logging.INFO)
    async with serving(app) as served:
        for misbehave in MISBEHAVING:
            await anyio.to_thread.run_sync(misbehave, served)
            await served.idle()
            assert errors_logged(caplog) == [], misbehave.__name__

        # And the server carries on: a proper guest is answered as before.
        async with connect(served.ws_url + GUEST) as guest:
            await guest.send(json.dumps({"type": "hello", "token": "forged"}))
            with anyio.fail_after(10):
                await guest.wait_closed()
            assert guest.close_code == 4401


async def test_a_document_id_or_page_beyond_any_id_is_a_422(host, client):
    """Each field is an INTEGER column: 2^31 overflowed PostgreSQL's (a 500)."""
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    shown = f"/api/v1/meetings/{meeting['id']}/document"
    too_large = 2**31
    for method, path, body in [
        ("PUT", shown, {"document_id": too_large}),
        ("PUT", shown, {"document_id": 1, "page": too_large}),
        ("PATCH", shown, {"document_id": too_large, "page": 1}),
        ("PATCH", shown, {"document_id": 1, "page": too_large}),
    ]:
        response = await host.request(method, path, json=body)
        assert response.status_code == 422, (method, body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    for body in [
        {"document_id": too_large, "page": 1, "following": True},
        {"document_id": 1, "page": too_large, "following": True},
    ]:
        response = await client.post(
            "/api/v1/guest/document/view",
            json=body,
            headers={"authorization": f"Bearer {issued['guest_token']}"},
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    for path in [
        f"/api/v1/documents/{too_large}",
        f"/api/v1/documents/{too_large}/pages/1/large",
        f"/api/v1/documents/1/pages/{too_large}/large",
    ]:
        response = await host.get(path)
        assert response.status_code == 404, (path, response.text)
