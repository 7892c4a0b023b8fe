"""A host removing a guest, or picking the video guest, while something
else changes the meeting at the same moment, on PostgreSQL (SQLite has one
writer at a time: the two are in turn by construction). Each waits for the
other's meeting row, then checks what it found."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest
from sqlalchemy import select, text, update

from server.meetings import guests, lifecycle, recordings
from server.storage.models import Guest, Meeting, Recording, RecordingChunk
from server.web.services import services
from tests.conftest import POSTGRES_URL, http_client
from tests.recording_media import live_webm
from tests.test_guests import as_guest, events, guest_list, link_meeting
from tests.test_recordings import recording_started


# PostgreSQL only (see above).
@pytest.fixture
def database_url(postgres_and_redis) -> str:
    return POSTGRES_URL


async def someone_waits_for_a_lock(app) -> bool:
    async with services(app).engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(waiting)


async def while_uncommitted(
    app, change: Callable[[object], Awaitable[None]], request: Callable[[], Awaitable]
):
    """``request`` sent while ``change`` is made and not yet committed; its
    answer once the change is committed."""
    answer: list = []

    async def send() -> None:
        answer.append(await request())

    async with services(app).db() as db, anyio.create_task_group() as group:
        await db.begin()
        await change(db)
        group.start_soon(send)
        # The request has read what it reads and waits on the change's rows.
        with anyio.fail_after(10):
            while not await someone_waits_for_a_lock(app):
                if answer:
                    break  # it did not wait: answered before the commit
                await anyio.sleep(0.01)
        await db.commit()
    return answer[0]


async def test_a_removal_racing_the_end_is_refused_not_recorded_after_it(app, host):
    meeting_id, (first, _second) = await link_meeting(app, host)

    async def end(db) -> None:
        await lifecycle.end_meeting(db, meeting_id, by="host")

    removed = await while_uncommitted(
        app, end, lambda: host.delete(f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}")
    )

    assert (removed.status_code, removed.json()["error"]["code"]) == (409, "meeting_ended")
    assert [e["type"] for e in await events(host, meeting_id)][-1] == "meeting.ended"


async def test_a_video_pick_racing_the_guests_removal_is_refused(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)

    async def remove_second(db) -> None:
        meeting = await db.get(Meeting, meeting_id)
        await guests.remove_guest(db, meeting, second["guest_id"], by="田中")

    picked = await while_uncommitted(
        app,
        remove_second,
        lambda: host.put(
            f"/api/v1/meetings/{meeting_id}/video-guest", json={"guest_id": second["guest_id"]}
        ),
    )

    assert (picked.status_code, picked.json()["error"]["code"]) == (409, "guest_already_removed")
    listed = await guest_list(host, meeting_id)
    assert listed["video_guest_id"] == first["guest_id"]
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id)).video_guest_id == first["guest_id"]


async def test_two_guests_leaving_at_once_end_the_meeting_rather_than_leave_it_empty(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).where(Guest.meeting_id == meeting_id).values(connected=True))

    async def first_leaves(db) -> None:
        await guests.leave(db, await db.get(Guest, first["guest_id"]))

    async def second_leaves():
        async with http_client(app, address="192.0.2.30") as phone:
            return await phone.post("/api/v1/guest/leave", headers=as_guest(second["guest_token"]))

    left = await while_uncommitted(app, first_leaves, second_leaves)

    # Before, each saw the other still there: both left one by one, and the
    # meeting stayed running with no one in it.
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "ended"
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id)).state == "ended"
    types = [e["type"] for e in await events(host, meeting_id)]
    assert types.count("guest.left") == 1 and types[-1] == "meeting.ended", types


async def test_a_chunk_racing_the_recordings_stop_is_refused_not_left_out(app, host):
    meeting_id, _token, recording, base = await recording_started(app, host)
    await host.put(f"{base}/chunks/0", content=live_webm(2))

    async def stop(db) -> None:
        meeting = await db.get(Meeting, meeting_id)
        found = await db.get(Recording, recording["id"])
        await recordings.stop(db, meeting, found, "host")

    sent = await while_uncommitted(app, stop, lambda: host.put(f"{base}/chunks/1", content=b"x"))

    # Before, it was stored after the stop, when the file was being made
    # from the chunks there were then: kept for the host, missing from it.
    assert (sent.status_code, sent.json()["error"]["code"]) == (409, "recording_stopped")
    async with services(app).db() as db:
        late = await db.scalar(
            select(RecordingChunk.id).where(
                RecordingChunk.recording_id == recording["id"], RecordingChunk.seq == 1
            )
        )
    assert late is None
