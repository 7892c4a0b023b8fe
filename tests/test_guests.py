"""Several guests in one meeting, through the API: each guest's source and
state, presence events that name the guest, removing a guest, and the one
guest on video."""

from __future__ import annotations

import json
from datetime import timedelta

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.accounts import sites
from server.live import sockets
from server.meetings import guests, lifecycle, presence
from server.storage.models import Meeting, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in
from tests.served_app import serving
from tests.test_meetings import as_guest, get_number


async def new_link(host, meeting_id: int) -> str:
    made = await host.post(f"/api/v1/meetings/{meeting_id}/links", json={})
    assert made.status_code == 201, made.text
    return made.json()["url"].rsplit("/", 1)[1]


async def join_link(app, token: str, address: str) -> dict:
    async with http_client(app, address=address) as phone:
        joined = await phone.post("/api/v1/guest/links", json={"token": token})
    assert joined.status_code == 201, joined.text
    return joined.json()


async def link_meeting(app, host, phones: int = 2) -> tuple[int, list[dict]]:
    """A meeting started by link, and ``phones`` phones joined by a link each."""
    meeting_id = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]["id"]
    joined = [
        await join_link(app, await new_link(host, meeting_id), f"192.0.2.{10 + n}")
        for n in range(phones)
    ]
    return meeting_id, joined


async def guest_list(host, meeting_id: int) -> dict:
    response = await host.get(f"/api/v1/meetings/{meeting_id}/guests")
    assert response.status_code == 200, response.text
    return response.json()


async def events(host, meeting_id: int) -> list[dict]:
    return (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]


async def session(app, token: str) -> dict:
    async with http_client(app, address="192.0.2.200") as phone:
        return (await phone.get("/api/v1/guest/session", headers=as_guest(token))).json()


async def test_two_phones_on_two_links_are_two_guests_and_the_first_is_on_video(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)

    listed = await guest_list(host, meeting_id)

    assert [(g["id"], g["n"], g["source"], g["video"]) for g in listed["guests"]] == [
        (first["guest_id"], 1, "link", True),
        (second["guest_id"], 2, "link", True),
    ]
    assert listed["video_guest_id"] == first["guest_id"]
    assert [g["on_video"] for g in listed["guests"]] == [True, False]
    assert (first["video"], second["video"]) == (True, False)
    assert (await session(app, second["guest_token"]))["video"] is False
    # The host's timeline names the second guest, so they do not join unnoticed.
    joined = [e for e in await events(host, meeting_id) if e["type"] == "guest.joined"]
    assert [(e["payload"]["guest_id"], e["payload"]["n"]) for e in joined] == [
        (second["guest_id"], 2)
    ]


async def test_presence_is_per_guest_and_the_meeting_shows_any_guest(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)
    leases = services(app).presence
    now = utcnow()

    one = await leases.join(meeting_id, presence.GUEST, first["guest_id"], now=now)
    two = await leases.join(meeting_id, presence.GUEST, second["guest_id"], now=now)
    await leases.leave(one, 0, now=now)
    await presence.sync_guests(app, now + timedelta(seconds=1), meeting_id)
    half = await guest_list(host, meeting_id)
    meeting = (await host.get(f"/api/v1/meetings/{meeting_id}")).json()

    assert [g["state"] for g in half["guests"]] == ["disconnected", "connected"]
    assert half["guests"][0]["left_at"] is not None
    assert meeting["guest_connected"] is True
    assert meeting["guests_gone_since"] is None

    await leases.leave(two, 0, now=now + timedelta(seconds=2))
    await presence.sync_guests(app, now + timedelta(seconds=3), meeting_id)
    gone = (await host.get("/api/v1/meetings?state=live")).json()["meetings"]

    presence_events = [
        (e["type"], e["payload"]["guest_id"], e["payload"]["source"], e["payload"]["video"])
        for e in await events(host, meeting_id)
        if e["type"] in ("guest.connected", "guest.disconnected")
    ]
    assert presence_events == [
        ("guest.connected", first["guest_id"], "link", True),
        ("guest.connected", second["guest_id"], "link", True),
        ("guest.disconnected", first["guest_id"], "link", True),
        ("guest.disconnected", second["guest_id"], "link", True),
    ]
    assert [(m["id"], m["guest_connected"]) for m in gone] == [(meeting_id, False)]
    # Gone since the last of them left: what the dashboard counts from.
    left = [g["left_at"] for g in (await guest_list(host, meeting_id))["guests"]]
    assert gone[0]["guests_gone_since"] == max(left)


async def test_a_snippet_guest_is_listed_as_such_and_cannot_take_the_video(app, host):
    async with http_client(app, address="192.0.2.44") as phone:
        issued = await get_number(phone)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    site = await make_site(app)
    async with http_client(app, address="192.0.2.45") as snippet:
        snippet_number = await snippet.post(
            "/api/v1/guest/numbers",
            json={"site_key": site},
            headers={"origin": "https://shop.example"},
        )
    assert snippet_number.status_code == 201, snippet_number.text
    attached = await host.post(
        f"/api/v1/meetings/{meeting['id']}/guests",
        json={"number": snippet_number.json()["number"]},
    )
    assert attached.status_code == 200, attached.text

    listed = await guest_list(host, meeting["id"])
    snippet_guest = listed["guests"][1]
    refused = await host.put(
        f"/api/v1/meetings/{meeting['id']}/video-guest", json={"guest_id": snippet_guest["id"]}
    )

    assert [(g["source"], g["video"], g["on_video"]) for g in listed["guests"]] == [
        ("number", True, True),
        ("snippet", False, False),
    ]
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "guest_cannot_video"
    attach_event = [e for e in await events(host, meeting["id"]) if e["type"] == "guest.attached"]
    assert attach_event[0]["payload"]["source"] == "snippet"
    assert attach_event[0]["payload"]["n"] == 2


async def make_site(app) -> str:
    async with services(app).db.begin() as db:
        site = await sites.create_site(
            db, name="Shop", origins=["https://shop.example"], created_by=None
        )
        return site.site_key


async def test_the_host_switches_the_video_to_the_second_guest(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)

    switched = await host.put(
        f"/api/v1/meetings/{meeting_id}/video-guest", json={"guest_id": second["guest_id"]}
    )

    assert switched.status_code == 200, switched.text
    assert switched.json()["video_guest_id"] == second["guest_id"]
    assert (await session(app, first["guest_token"]))["video"] is False
    assert (await session(app, second["guest_token"]))["video"] is True
    video = [e for e in await events(host, meeting_id) if e["type"] == "video.guest"]
    assert [(e["payload"]["guest_id"], e["payload"]["by"]) for e in video] == [
        (second["guest_id"], "host")
    ]


async def test_a_removed_guest_is_told_refused_and_the_video_passes_on(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)

    removed = await host.delete(f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}")

    assert removed.status_code == 200, removed.text
    after = removed.json()
    assert [g["state"] for g in after["guests"]] == ["removed", "disconnected"]
    assert after["video_guest_id"] == second["guest_id"]
    types = [(e["type"], e["payload"].get("guest_id")) for e in await events(host, meeting_id)][-2:]
    assert types == [("guest.removed", first["guest_id"]), ("video.guest", second["guest_id"])]
    # Their page learns it; everything else their token opened is shut.
    assert (await session(app, first["guest_token"]))["status"] == "removed"
    async with http_client(app, address="192.0.2.201") as phone:
        call = await phone.get("/api/v1/guest/call", headers=as_guest(first["guest_token"]))
        leave = await phone.post("/api/v1/guest/leave", headers=as_guest(first["guest_token"]))
    for refused in (call, leave):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "guest_removed"
    assert (await session(app, second["guest_token"]))["video"] is True
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["state"] == "active"


async def test_removing_and_switching_refuse_what_cannot_be_done(app, host, make_user):
    meeting_id, (first, _second) = await link_meeting(app, host)
    other_meeting, (stranger,) = await link_meeting(app, host, phones=1)
    base = f"/api/v1/meetings/{meeting_id}"

    unknown = await host.delete(f"{base}/guests/999999")
    elsewhere = await host.delete(f"{base}/guests/{stranger['guest_id']}")
    not_an_id = await host.delete(f"{base}/guests/first")
    await host.delete(f"{base}/guests/{first['guest_id']}")
    twice = await host.delete(f"{base}/guests/{first['guest_id']}")
    to_removed = await host.put(f"{base}/video-guest", json={"guest_id": first["guest_id"]})
    bad_body = await host.put(f"{base}/video-guest", json={"guest_id": "first"})
    # An id no database INTEGER holds (it was a 500 on PostgreSQL).
    huge = await host.put(f"{base}/video-guest", json={"guest_id": 99999999999})

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "guest_not_found")
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (404, "guest_not_found")
    assert not_an_id.status_code == 404
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "guest_already_removed")
    assert to_removed.json()["error"]["code"] == "guest_already_removed"
    assert bad_body.status_code == 422
    assert "error" in bad_body.json()
    assert (huge.status_code, huge.json()["error"]["code"]) == (
        422,
        bad_body.json()["error"]["code"],
    )

    # Another host's meeting is not theirs to see, let alone change.
    await make_user("suzuki")
    async with http_client(app) as other:
        await log_in(other, "suzuki")
        other.headers["x-csrf-token"] = await csrf_token(other)
        foreign = await other.delete(
            f"/api/v1/meetings/{other_meeting}/guests/{stranger['guest_id']}"
        )
        foreign_list = await other.get(f"/api/v1/meetings/{other_meeting}/guests")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "meeting_not_found")
    assert foreign_list.status_code == 404

    # Once the meeting has ended nobody can be removed or switched.
    await host.post(f"/api/v1/meetings/{other_meeting}/end")
    late = await host.delete(f"/api/v1/meetings/{other_meeting}/guests/{stranger['guest_id']}")
    late_video = await host.put(
        f"/api/v1/meetings/{other_meeting}/video-guest", json={"guest_id": stranger["guest_id"]}
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "meeting_ended")
    assert (late_video.status_code, late_video.json()["error"]["code"]) == (409, "meeting_ended")


async def test_without_the_csrf_header_nothing_is_removed(app, host):
    meeting_id, (first, _second) = await link_meeting(app, host)
    token = host.headers.pop("x-csrf-token")

    refused = await host.delete(f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}")

    host.headers["x-csrf-token"] = token
    assert refused.status_code == 403
    assert (await guest_list(host, meeting_id))["guests"][0]["removed_at"] is None


async def test_nobody_is_connected_in_an_ended_meeting(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)
    now = utcnow()
    for guest in (first, second):
        await services(app).presence.join(meeting_id, presence.GUEST, guest["guest_id"], now=now)
    assert [g["state"] for g in (await guest_list(host, meeting_id))["guests"]] == [
        "connected",
        "connected",
    ]

    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    # The reaper runs after the end, with the guests' leases still live.
    await presence.sync_guests(app, now + timedelta(seconds=1))

    ended = await guest_list(host, meeting_id)
    assert [(g["state"], g["connected"]) for g in ended["guests"]] == [
        ("ended", False),
        ("ended", False),
    ]
    assert all(g["left_at"] is not None for g in ended["guests"])
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["guest_connected"] is False


async def test_an_admin_looking_on_cannot_take_the_video(app, host, admin_client):
    meeting_id, (_first, second) = await link_meeting(app, host)

    refused = await admin_client.put(
        f"/api/v1/meetings/{meeting_id}/video-guest",
        json={"guest_id": second["guest_id"]},
        headers={"x-csrf-token": await csrf_token(admin_client)},
    )

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_in_call")


async def test_a_guest_who_leaves_while_another_is_on_leaves_alone(app, host):
    meeting_id, (first, second) = await link_meeting(app, host)
    now = utcnow()
    for guest in (first, second):
        await services(app).presence.join(meeting_id, presence.GUEST, guest["guest_id"], now=now)

    async with http_client(app, address="192.0.2.202") as phone:
        left = await phone.post("/api/v1/guest/leave", headers=as_guest(first["guest_token"]))
        again = await phone.get("/api/v1/guest/call", headers=as_guest(first["guest_token"]))

    assert left.json()["status"] == "left"
    assert (again.status_code, again.json()["error"]["code"]) == (403, "guest_left")
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["state"] == "active"
    listed = await guest_list(host, meeting_id)
    assert [g["state"] for g in listed["guests"]] == ["left", "connected"]
    assert listed["video_guest_id"] == second["guest_id"]
    assert [e["type"] for e in await events(host, meeting_id)][-2:] == ["guest.left", "video.guest"]

    # The last guest still there leaving ends the meeting, as with one guest.
    async with http_client(app, address="192.0.2.203") as phone:
        last = await phone.post("/api/v1/guest/leave", headers=as_guest(second["guest_token"]))
    assert last.json()["status"] == "ended"
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["ended_by"] == "guest"


async def test_a_removed_or_left_guest_tapping_their_link_again_stays_out(app, host):
    """The link is theirs, but they are out of the meeting for good: the
    tap is refused as their token is (it was a 201 "connected" with a
    fresh token, back in the meeting)."""
    meeting_id = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]["id"]
    links = [await new_link(host, meeting_id) for _ in range(3)]
    first, second, third = [
        await join_link(app, link, f"192.0.2.{60 + n}") for n, link in enumerate(links)
    ]
    now = utcnow()
    for guest in (second, third):
        await services(app).presence.join(meeting_id, presence.GUEST, guest["guest_id"], now=now)
    removed = await host.delete(f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}")
    assert removed.status_code == 200, removed.text
    async with http_client(app, address="192.0.2.62") as phone:
        left = await phone.post("/api/v1/guest/leave", headers=as_guest(second["guest_token"]))
    assert left.json()["status"] == "left"
    before = await events(host, meeting_id)

    taps = {}
    for guest, link in ((first, links[0]), (second, links[1])):
        async with http_client(app, address="192.0.2.63") as phone:
            taps[guest["guest_id"]] = await phone.post(
                "/api/v1/guest/links", json={"token": link}, headers=as_guest(guest["guest_token"])
            )

    assert (
        taps[first["guest_id"]].status_code,
        taps[first["guest_id"]].json()["error"]["code"],
    ) == (
        403,
        "guest_removed",
    )
    assert (
        taps[second["guest_id"]].status_code,
        taps[second["guest_id"]].json()["error"]["code"],
    ) == (403, "guest_left")
    listed = await guest_list(host, meeting_id)
    assert [g["state"] for g in listed["guests"]] == ["removed", "left", "connected"]
    assert await events(host, meeting_id) == before


async def test_a_guest_removed_while_their_socket_opens_is_closed(app, host, monkeypatch):
    """The removal commits after the socket's token check and before it
    listens: the socket is still closed as removed (it stayed open, the
    page showing "connected")."""
    meeting_id, (first, _second) = await link_meeting(app, host)
    checked = sockets.require_guest

    async def removed_meanwhile(*args, **kwargs):
        guest = await checked(*args, **kwargs)
        async with lifecycle.transaction(app) as db:
            meeting = await db.get(Meeting, meeting_id)
            await guests.remove_guest(db, meeting, guest.id, by="田中")
        return guest

    monkeypatch.setattr(sockets, "require_guest", removed_meanwhile)
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": first["guest_token"]}))
        with anyio.fail_after(10), pytest.raises(ConnectionClosed) as closed:
            while True:
                await socket.recv()

    assert closed.value.rcvd.code == sockets.REMOVED
