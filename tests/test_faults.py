"""Faults injected into real server processes: kill -9 (no shutdown, no
cleanup, nothing flushed) and what people see afterwards.

- A guest connected to a server that is killed: once their lease lapses
  the host sees "disconnected", on the restarted server or on another
  instance, instead of "connected" for ever.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.live_server import LiveServer, start_server
from tests.sockets import next_message
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
    return await next_message(
        socket, event_type, matching=lambda m: m.get("meeting_id") == meeting_id, seconds=PATIENCE
    )


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


async def test_a_guest_on_a_killed_instance_shows_disconnected_on_the_other(
    tmp_path, postgres_and_redis
):
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


# -- kill -9 during uploads (issue #11: no orphans, nothing acknowledged lost) --


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid`` and by those, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    waiting = [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.add(child)
            waiting.append(child)
    return found


def all_exit(pids: set[int]) -> None:
    """Wait until every one of ``pids`` has exited (or fail after PATIENCE s)."""
    deadline = time.monotonic() + PATIENCE
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if running(pid)}
        time.sleep(0.1)
    assert not alive, f"still running after the server was killed: {sorted(alive)}"


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stored_files(data_dir) -> tuple[set[str], list[str]]:
    """Blob keys in the local store's folders, and its temporary files."""
    root = data_dir / "blobs"
    blobs = {p.name for p in root.glob("??/*") if p.is_file()}
    return blobs, [p.name for p in (root / "tmp").iterdir()]


def logged(server: LiveServer, line: str) -> None:
    """Wait until the server's output has ``line``."""
    deadline = time.monotonic() + PATIENCE
    while line not in server.output():
        assert time.monotonic() < deadline, f"never logged {line!r}:\n{server.output()}"
        time.sleep(0.05)


def keys_with_rows(data_dir) -> set[str]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(data_dir / "tsunagu.db")) as db:
        rows = db.execute("SELECT image_key, thumbnail_key FROM captures").fetchall()
    return {key for row in rows for key in row}


async def test_a_kill_during_uploads_leaves_no_orphan_after_the_sweep_and_loses_nothing(
    tmp_path,
):
    from tests.test_capture_ingest import encoded, picture

    first = start_server(tmp_path)
    port = int(first.url.rsplit(":", 1)[1])
    acknowledged: list[int] = []
    image = encoded(picture((1170, 2532)), "PNG")
    try:
        password = first.first_run_password()
        async with Host.logged_in(first) as host:
            issued = await new_number(first)
            meeting = await host.claim(issued["number"])
            headers = {"authorization": f"Bearer {issued['guest_token']}"}

            async def keep_sending() -> None:
                async with httpx.AsyncClient(base_url=first.url, headers=headers) as guest:
                    while True:
                        try:
                            sent = await guest.post(
                                "/api/v1/guest/captures",
                                data={"url": "https://shop.example/", "title": "Shop"},
                                files={"image": ("s.png", image, "image/png")},
                            )
                        except httpx.TransportError:
                            return  # the server is gone
                        if sent.status_code == 201:
                            acknowledged.append(sent.json()["id"])
                            if len(acknowledged) >= 6:
                                enough.set()

            enough = anyio.Event()
            async with anyio.create_task_group() as guests:
                for _ in range(4):
                    guests.start_soon(keep_sending)
                with anyio.fail_after(PATIENCE * 3):
                    await enough.wait()
                helpers = descendants(first.process.pid)
                assert helpers  # the ingest fork server and its workers
                kill(first)  # with uploads in every stage of being stored
    finally:
        first.stop()
    # The killed server's ingest processes do not live on without it.
    await anyio.to_thread.run_sync(all_exit, helpers)
    # What a crash leaves, planted for certain: a blob whose row was never
    # written, and half a blob in tmp/.
    (tmp_path / "blobs" / "ab").mkdir(exist_ok=True)
    (tmp_path / "blobs" / "ab" / "ab12.jpg").write_bytes(b"no row")
    (tmp_path / "blobs" / "tmp" / "cd34.jpg.0000").write_bytes(b"half")

    # Swept at start-up; the age threshold is 0 here, so the test need not
    # wait an hour (nothing is uploading while the server starts).
    again = start_server(tmp_path, port=port, TSUNAGU_SWEEP_AGE="0")
    try:
        await anyio.to_thread.run_sync(logged, again, "sweeper: removed")
        blobs, temporary = stored_files(tmp_path)
        assert temporary == []
        assert blobs == keys_with_rows(tmp_path)  # no blob without a row
        async with Host.logged_in(again, password=password) as host:
            listed = await host.http.get(f"/api/v1/meetings/{meeting['id']}/captures")
            kept = {c["id"]: c for c in listed.json()["captures"]}
            assert set(acknowledged) <= set(kept)  # no 201 lost
            for capture_id in acknowledged:
                for url in (kept[capture_id]["image_url"], kept[capture_id]["thumbnail_url"]):
                    assert (await host.http.get(url)).status_code == 200
    finally:
        again.stop()
