"""Event ids as clients use them: a cursor ("after") that resumes exactly
where the client left off, past 2^31 on PostgreSQL, and never skipping an
event that two writers committed out of id order.

On SQLite there is one writer at a time and a writer holds the database
from its first write to its commit, so ids are in commit order by
construction; the concurrency test is PostgreSQL's, where a sequence hands
out ids in insert order.
"""

from __future__ import annotations

import json

import anyio
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect

from server.meetings import lifecycle as meetings
from server.storage.models import Meeting
from server.web.services import services
from tests.conftest import POSTGRES_URL
from tests.served_app import serving
from tests.sockets import next_message

BEYOND_32_BITS = 2**31 + 10


# PostgreSQL only: SQLite's rowid is 64-bit already, and SQLite has one
# writer at a time, so its ids are in commit order by construction.
@pytest.fixture
def database_url(postgres_and_redis) -> str:
    return POSTGRES_URL


async def start_meeting(host) -> tuple[dict, str]:
    """A meeting with a guest; returns it and the guest's token."""
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    return meeting.json(), issued["guest_token"]


async def record(app, meeting_id: int, type_: str, **payload) -> int:
    async with meetings.transaction(app) as db:
        meeting = await db.get(Meeting, meeting_id)
        return (await meetings.record_event(db, meeting, type_, payload)).id


async def first_event(socket) -> dict:
    return await next_message(socket, matching=lambda message: "id" in message)


async def test_event_ids_beyond_32_bits_work_in_every_cursor(app, host):
    async with services(app).engine.begin() as connection:
        await connection.execute(text(f"SELECT setval('meeting_events_id_seq', {BEYOND_32_BITS})"))
    meeting, guest_token = await start_meeting(host)
    started = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    cursor = started[-1]["id"]
    assert cursor > 2**31
    # An event both the host's and the guest's sockets carry (a guest hears
    # only what their page follows: see sockets.for_guest).
    asked = await record(app, meeting["id"], "capture.requested")

    events = await host.get(f"/api/v1/meetings/{meeting['id']}/events?after={2**31}")
    assert [e["id"] for e in events.json()["events"]] == [e["id"] for e in started] + [asked]
    after = await host.get(f"/api/v1/meetings/{meeting['id']}/events?after={cursor}")
    assert [e["id"] for e in after.json()["events"]] == [asked]

    async with serving(app) as served:
        cookie = f"tsunagu_session={host.cookies['tsunagu_session']}"
        async with connect(
            f"{served.ws_url}/api/v1/meetings/{meeting['id']}/live?after={cursor}",
            origin=served.url,
            additional_headers={"cookie": cookie},
        ) as console:
            assert (await first_event(console))["id"] == asked
        async with connect(served.ws_url + "/api/v1/guest/live") as guest:
            await guest.send(json.dumps({"type": "hello", "token": guest_token, "after": cursor}))
            assert (await first_event(guest))["id"] == asked


async def backend_waits_for_a_lock(app, pid: int) -> bool:
    async with services(app).engine.connect() as connection:
        wait = await connection.scalar(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
    return wait == "Lock"


async def test_a_reader_never_skips_an_event_committed_after_a_later_id(app, host):
    meeting, _ = await start_meeting(host)
    cursor = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"][-1]["id"]
    b_pid: list[int] = []
    b_done = anyio.Event()

    async def writer_b() -> None:
        async with services(app).db.begin() as b:
            b_pid.append(await b.scalar(text("SELECT pg_backend_pid()")))
            await meetings.record_event(b, await b.get(Meeting, meeting["id"]), "test.b")
        b_done.set()

    async with services(app).db() as a, anyio.create_task_group() as group:
        # Writer A has stored its event and not committed yet...
        await a.begin()
        await meetings.record_event(a, await a.get(Meeting, meeting["id"]), "test.a")
        # ...when writer B stores one too.
        group.start_soon(writer_b)
        with anyio.fail_after(10):
            while not (b_pid and await backend_waits_for_a_lock(app, b_pid[0])):
                if b_done.is_set():
                    break  # B did not wait: its id may be committed before A's
                await anyio.sleep(0.01)
        # A client reads (or reconnects) now, and goes on from what it saw.
        async with services(app).db() as reader:
            seen = [e.id for e in await meetings.events_after(reader, meeting["id"], cursor)]
        cursor = max([cursor, *seen])
        await a.commit()
    async with services(app).db() as reader:
        seen += [e.id for e in await meetings.events_after(reader, meeting["id"], cursor)]

    async with services(app).db() as db:
        stored = [e.id for e in await meetings.events_after(db, meeting["id"], 0)]
    assert len(seen) == 2, "the reader skipped an event"
    assert seen == stored[-2:]
