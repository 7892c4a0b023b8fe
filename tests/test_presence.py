"""Presence leases and the reaper, one pass at a time with a given "now":
what the host is shown, when a meeting everyone left ends by itself, and
that two instances reaping at once record each change once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select

from server.meetings import lifecycle as meetings
from server.meetings import presence
from server.settings import Settings
from server.storage.models import Meeting, PresenceLease, User, utcnow
from server.web.app import create_app
from server.web.services import services
from tests.conftest import http_client, test_settings

TTL = 30.0
GRACE = 5.0
IDLE = timedelta(minutes=30)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The tests drive the reaper by hand, each pass at a chosen time.
    return test_settings(
        tmp_path / "data",
        database_url,
        presence_reaper=False,
        presence_ttl=TTL,
        guest_presence_grace=GRACE,
        meeting_idle_minutes=IDLE.total_seconds() / 60,
    )


async def start_meeting(app, host) -> int:
    """A guest reads out a number, the host types it: an active meeting."""
    async with http_client(app, address="192.0.2.44") as guest:
        issued = (await guest.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    return meeting.json()["id"]


async def shown(host, meeting_id: int) -> dict:
    return (await host.get(f"/api/v1/meetings/{meeting_id}")).json()


async def event_types(host, meeting_id: int) -> list[str]:
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    return [e["type"] for e in events]


async def lease_count(app, meeting_id: int) -> int:
    async with services(app).db() as db:
        query = select(func.count()).where(PresenceLease.meeting_id == meeting_id)
        return await db.scalar(query)


async def test_a_guest_shows_at_once_and_leaves_once_the_grace_is_over(app, host):
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    lease = await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0)
    assert (await shown(host, meeting_id))["guest_connected"] is True

    await services(app).presence.leave(lease, GRACE, now=t0)
    await presence.reap(app, now=t0 + timedelta(seconds=GRACE - 1))
    assert (await shown(host, meeting_id))["guest_connected"] is True
    await presence.reap(app, now=t0 + timedelta(seconds=GRACE + 1))
    assert (await shown(host, meeting_id))["guest_connected"] is False
    assert await event_types(host, meeting_id) == [
        "meeting.started",
        "guest.connected",
        "guest.disconnected",
    ]


async def test_a_page_change_within_the_grace_shows_nothing(app, host):
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    first = await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0)
    await services(app).presence.leave(first, GRACE, now=t0)
    await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0 + timedelta(seconds=1))
    await presence.reap(app, now=t0 + timedelta(seconds=GRACE + 1))
    assert (await shown(host, meeting_id))["guest_connected"] is True
    assert await event_types(host, meeting_id) == ["meeting.started", "guest.connected"]


async def test_a_dead_instances_guest_lapses_within_the_ttl_and_a_live_one_renews(app, host):
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    # Another process took this lease and died: nothing renews or releases it.
    dead = presence.Presence(app)
    await dead.join(meeting_id, presence.GUEST, 1, now=t0)
    alive = services(app).presence
    other_id = await start_meeting(app, host)
    await alive.join(other_id, presence.GUEST, 2, now=t0)

    for seconds in (10, 20, 29):  # this process's heartbeat, a third of the TTL apart
        await alive.renew(now=t0 + timedelta(seconds=seconds))
        await presence.reap(app, now=t0 + timedelta(seconds=seconds))
    assert (await shown(host, meeting_id))["guest_connected"] is True
    await presence.reap(app, now=t0 + timedelta(seconds=TTL + 1))
    assert (await shown(host, meeting_id))["guest_connected"] is False
    assert (await shown(host, other_id))["guest_connected"] is True
    assert (await event_types(host, meeting_id))[-1] == "guest.disconnected"


async def test_a_lapsed_lease_renewed_again_shows_the_guest_back(app, host):
    """A process that could not reach the database for longer than the TTL
    (its guests shown gone) shows them again once it renews."""
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0)
    await presence.reap(app, now=t0 + timedelta(seconds=TTL + 1))
    assert (await shown(host, meeting_id))["guest_connected"] is False
    await services(app).presence.renew(now=t0 + timedelta(seconds=TTL + 2))
    await presence.reap(app, now=t0 + timedelta(seconds=TTL + 2))
    assert (await shown(host, meeting_id))["guest_connected"] is True
    assert await event_types(host, meeting_id) == [
        "meeting.started",
        "guest.connected",
        "guest.disconnected",
        "guest.connected",
    ]


async def test_a_lease_deleted_while_its_process_was_cut_off_is_taken_again(app, host):
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0)
    # Cut off for longer than the idle limit: another instance's reaper
    # has deleted the lapsed lease (the meeting lives on: the host is there).
    await services(app).presence.join(meeting_id, presence.HOST, 9, now=t0)
    async with meetings.transaction(app) as db:
        lease = await db.scalar(select(PresenceLease).where(PresenceLease.role == "guest"))
        await db.delete(lease)
    later = t0 + timedelta(seconds=5)
    await services(app).presence.renew(now=later)
    await presence.reap(app, now=later + timedelta(seconds=TTL - 1))
    assert (await shown(host, meeting_id))["guest_connected"] is True
    assert await lease_count(app, meeting_id) == 2


async def test_two_reapers_at_once_record_each_change_once(app, host, settings):
    started = [await start_meeting(app, host) for _ in range(6)]
    t0 = utcnow()
    dead = presence.Presence(app)
    for meeting_id in started[:3]:  # guests on a process that died
        await dead.join(meeting_id, presence.GUEST, meeting_id, now=t0)
    for meeting_id in started[3:]:  # guests gone, and everyone else too, long ago
        lease = await dead.join(meeting_id, presence.GUEST, meeting_id, now=t0)
        await dead.leave(lease, 0, now=t0)

    # A second instance on the same database, reaping at the same moment.
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        for later in (t0 + timedelta(seconds=TTL + 1), t0 + IDLE + timedelta(seconds=1)):
            async with anyio.create_task_group() as group:
                for instance in (app, second, app, second):
                    group.start_soon(presence.reap, instance, later)

    for meeting_id in started[:3]:
        assert (await event_types(host, meeting_id)).count("guest.disconnected") == 1
    for meeting_id in started[3:]:
        types = await event_types(host, meeting_id)
        assert types.count("guest.disconnected") == 1
        assert types.count("meeting.ended") == 1
        assert (await shown(host, meeting_id))["ended_by"] == "timeout"


async def test_the_same_presence_change_twice_is_recorded_once(app, host):
    meeting_id = await start_meeting(app, host)
    now = utcnow()
    await services(app).presence.join(meeting_id, presence.GUEST, 1, now=now)
    later = now + timedelta(seconds=TTL + 1)
    async with meetings.transaction(app) as db:
        first = await meetings.set_guest_presence(db, meeting_id, now=later)
    async with meetings.transaction(app) as db:
        second = await meetings.set_guest_presence(db, meeting_id, now=later)
    assert (first, second) == (False, None)


async def reap_at(app, when: datetime) -> None:
    await presence.reap(app, now=when)


async def test_a_meeting_everyone_left_ends_by_itself_after_the_idle_limit(app, host):
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    guest = await services(app).presence.join(meeting_id, presence.GUEST, 1, now=t0)
    host_page = await services(app).presence.join(meeting_id, presence.HOST, 1, now=t0)
    left = t0 + timedelta(minutes=5)
    await services(app).presence.renew(now=left - timedelta(seconds=10))
    await services(app).presence.leave(guest, 0, now=left)
    await services(app).presence.leave(host_page, 0, now=left)

    await reap_at(app, left + IDLE - timedelta(seconds=1))
    assert (await shown(host, meeting_id))["state"] == "active"
    await reap_at(app, left + IDLE + timedelta(seconds=1))
    ended = await shown(host, meeting_id)
    assert (ended["state"], ended["ended_by"]) == ("ended", "timeout")
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert events[-1]["type"] == "meeting.ended"
    assert events[-1]["payload"] == {"by": "timeout"}
    live = (await host.get("/api/v1/meetings?state=live")).json()["meetings"]
    assert meeting_id not in [m["id"] for m in live]
    # The history says why, in the host's language.
    page = await host.get("/meetings")
    assert "全員の退出後に自動で終了" in page.text
    view = await host.get(f"/meetings/{meeting_id}")  # the record says why, too
    assert "自動で終了しました" in view.text
    # Its leases no longer matter once it has ended.
    assert await lease_count(app, meeting_id) == 0


@pytest.mark.parametrize("staying", [presence.HOST, presence.GUEST])
async def test_a_meeting_ends_nothing_while_one_side_is_still_there(app, host, staying):
    """Voice is on the phone: a guest merely disconnected while the host is
    on the meeting's page (or the other way round) ends nothing."""
    meeting_id = await start_meeting(app, host)
    t0 = utcnow()
    await services(app).presence.join(meeting_id, staying, 1, now=t0)
    gone = presence.GUEST if staying == presence.HOST else presence.HOST
    lease = await services(app).presence.join(meeting_id, gone, 1, now=t0)
    await services(app).presence.leave(lease, 0, now=t0)
    much_later = t0 + 3 * IDLE
    await services(app).presence.renew(now=much_later - timedelta(seconds=1))
    await reap_at(app, much_later)
    assert (await shown(host, meeting_id))["state"] == "active"
    # The lapsed lease stays until it stops mattering (the meeting's "last
    # seen"), then goes; the live one stays.
    assert await lease_count(app, meeting_id) == 1


async def test_a_meeting_nobody_ever_opened_counts_from_its_start(app, host):
    started = await start_meeting(app, host)
    async with meetings.transaction(app) as db:
        user = await db.scalar(select(User).where(User.username == "tanaka"))
        waiting = (await meetings.create_waiting(db, user)).id
    async with services(app).db() as db:
        created = {
            m.id: m.started_at or m.created_at
            for m in await db.scalars(select(Meeting).where(Meeting.id.in_([started, waiting])))
        }
    await reap_at(app, max(created.values()) + IDLE - timedelta(seconds=1))
    assert (await shown(host, started))["state"] == "active"
    assert (await shown(host, waiting))["state"] == "waiting"
    await reap_at(app, max(created.values()) + IDLE + timedelta(seconds=1))
    assert (await shown(host, started))["ended_by"] == "timeout"
    assert (await shown(host, waiting))["ended_by"] == "timeout"


async def test_an_idle_limit_of_zero_never_ends_a_meeting(app, host):
    services(app).settings = services(app).settings.replace(meeting_idle_minutes=0)
    meeting_id = await start_meeting(app, host)
    await reap_at(app, utcnow() + timedelta(days=30))
    assert (await shown(host, meeting_id))["state"] == "active"


async def test_a_meeting_someone_came_back_to_is_not_ended(app, host):
    """The end re-checks the leases in its UPDATE: a guest arriving between
    the reaper's look and its write keeps the meeting."""
    meeting_id = await start_meeting(app, host)
    now = utcnow() + IDLE + timedelta(minutes=1)
    gone = presence.everyone_gone(now, now - IDLE, timedelta(minutes=30))
    await services(app).presence.join(meeting_id, presence.GUEST, 1, now=now)
    async with meetings.transaction(app) as db:
        meeting = await meetings.end_meeting(db, meeting_id, by="timeout", only_if=gone)
    assert meeting.state == "active"


async def test_a_meeting_waits_for_its_guest_while_their_join_link_still_works(app, host):
    """A host who gave out the link and closed the page: the meeting waits
    until the link has expired (and the idle limit passed), never less."""
    services(app).settings = services(app).settings.replace(link_minutes=120)
    started = await host.post("/api/v1/meetings/by-link", json={})
    meeting_id = started.json()["meeting"]["id"]
    link = await host.post(f"/api/v1/meetings/{meeting_id}/links")
    assert link.status_code == 201, link.text
    created = datetime.fromisoformat(link.json()["expires_at"]) - timedelta(minutes=120)
    await reap_at(app, created + timedelta(minutes=120) + IDLE - timedelta(seconds=1))
    assert (await shown(host, meeting_id))["state"] == "waiting"
    await reap_at(app, created + timedelta(minutes=121) + IDLE)
    assert (await shown(host, meeting_id))["ended_by"] == "timeout"
