"""Faults injected into real server processes: kill -9 (no shutdown, no
cleanup, nothing flushed) and what people see afterwards.

- A guest connected to a server that is killed: once their lease lapses
  the host sees "disconnected", on the restarted server or on another
  instance, instead of "connected" for ever.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
from collections.abc import AsyncIterator

import anyio
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.live_server import LiveServer, start_server
from tests.test_live import Host, guest_socket, new_number

# Seconds a live socket's presence lease lasts unless renewed: short, so a
# killed server's guests lapse soon. The default is 30.
TTL = "2"
# Seconds to wait for what a person should see (many times the TTL: only a
# lease that never lapses, or a reaper that never runs, takes this long).
PATIENCE = 20


def kill(server: LiveServer) -> None:
    """kill -9: the process gets no chance to close sockets or record anything."""
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()


async def event_of(socket, meeting_id: int, event_type: str) -> dict:
    """The next event of this type for this meeting on a live socket."""
    with anyio.fail_after(PATIENCE):
        while True:
            message = json.loads(await socket.recv())
            if message.get("type") == event_type and message.get("meeting_id") == meeting_id:
                return message


async def presence_events(host: Host, meeting_id: int) -> list[str]:
    events = (await host.http.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    return [e["type"] for e in events if e["type"] in ("guest.connected", "guest.disconnected")]


async def guest_connected(host: Host, meeting_id: int) -> bool:
    return (await host.http.get(f"/api/v1/meetings/{meeting_id}")).json()["guest_connected"]


async def test_a_guest_on_a_killed_server_shows_disconnected_after_the_restart(tmp_path):
    first = start_server(tmp_path, TSUNAGU_PRESENCE_TTL=TTL)
    port = int(first.url.rsplit(":", 1)[1])
    try:
        password = first.first_run_password()
        async with Host.logged_in(first) as host:
            issued = await new_number(first)
            meeting = await host.claim(issued["number"])
            guest = await guest_socket(first, issued["guest_token"])
            async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
                connected = await event_of(view, meeting["id"], "guest.connected")
                kill(first)
            with contextlib.suppress(Exception):
                await guest.close()
    finally:
        first.stop()

    again = start_server(tmp_path, port=port, TSUNAGU_PRESENCE_TTL=TTL)
    try:
        async with Host.logged_in(again, password=password) as host:
            path = f"/api/v1/meetings/{meeting['id']}/live?after={connected['id']}"
            async with host.socket(path) as view:
                await event_of(view, meeting["id"], "guest.disconnected")
            assert await guest_connected(host, meeting["id"]) is False
            assert await presence_events(host, meeting["id"]) == [
                "guest.connected",
                "guest.disconnected",
            ]
    finally:
        again.stop()


@contextlib.asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for processes that migrate it
    themselves, dropped afterwards."""
    name = f"tsunagu_faults_{secrets.token_hex(4)}"
    admin = create_async_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="needs TSUNAGU_TEST_POSTGRES_URL and TSUNAGU_TEST_REDIS_URL",
)
async def test_a_guest_on_a_killed_instance_shows_disconnected_on_the_other(tmp_path):
    """Two instances behind a load balancer, one database and one Redis: the
    guest's socket is on A, the host's on B. A dies; B's reaper heals it."""
    async with throwaway_postgres() as database_url:
        shared = {
            "TSUNAGU_DATABASE_URL": database_url,
            "TSUNAGU_REDIS_URL": REDIS_URL,
            "TSUNAGU_SECRET_KEY": "shared-secret-for-both",
            "TSUNAGU_PRESENCE_TTL": TTL,
        }
        a = start_server(tmp_path / "a", **shared)
        b = start_server(tmp_path / "b", **shared)
        try:
            async with Host.logged_in(b, password=a.first_run_password()) as host:
                issued = await new_number(a)
                meeting = await host.claim(issued["number"])
                guest = await guest_socket(a, issued["guest_token"])
                async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
                    await event_of(view, meeting["id"], "guest.connected")
                    kill(a)
                    await event_of(view, meeting["id"], "guest.disconnected")
                with contextlib.suppress(Exception):
                    await guest.close()
                assert await guest_connected(host, meeting["id"]) is False
                assert await presence_events(host, meeting["id"]) == [
                    "guest.connected",
                    "guest.disconnected",
                ]
        finally:
            a.stop()
            b.stop()
