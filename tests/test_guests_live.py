"""Several guests of one meeting on live sockets, against the real server:
video signaling goes between the host and the video guest only, follows
the host's switch, and a removed guest's socket is told and closed."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.live_server import start_server
from tests.sockets import next_message
from tests.test_live import Host, guest_socket
from tests.test_records import send_capture
from tests.test_signaling import signal

REMOVED = 4410


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("guests"), TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000"
    )
    yield running
    running.stop()


@pytest.fixture
async def host(server):
    async with Host.logged_in(server) as console:
        yield console


async def two_phones(server, host) -> tuple[int, list[dict]]:
    """A meeting by link, joined by two phones with a link each."""
    made = await host.http.post("/api/v1/meetings/by-link", json={})
    meeting_id = made.json()["meeting"]["id"]
    phones = []
    for _ in range(2):
        link = await host.http.post(f"/api/v1/meetings/{meeting_id}/links", json={})
        token = link.json()["url"].rsplit("/", 1)[1]
        async with httpx.AsyncClient(base_url=server.url) as phone:
            joined = await phone.post("/api/v1/guest/links", json={"token": token})
        assert joined.status_code == 201, joined.text
        phones.append(joined.json())
    return meeting_id, phones


def peer(guest: dict) -> str:
    return f"guest-{guest['guest_id']}"


async def test_signals_go_to_the_video_guest_and_follow_the_hosts_switch(server, host):
    meeting_id, (first, second) = await two_phones(server, host)
    one = await guest_socket(server, first["guest_token"])
    two = await guest_socket(server, second["guest_token"])
    async with host.socket(f"/api/v1/meetings/{meeting_id}/live") as view:
        # Both phones connected, in whichever order their sockets got there.
        connected: set[int] = set()
        while connected != {first["guest_id"], second["guest_id"]}:
            connected.add((await next_message(view, "guest.connected"))["payload"]["guest_id"])

        await view.send(signal("guests", session="h1"))
        hello = await next_message(one, "signal")
        await two.send(signal("host", session="g2"))
        refused = await next_message(two, "signal.refused")
        await view.send(signal(peer(second), session="h1"))
        refused_host = await next_message(view, "signal.refused")

        switched = await host.http.put(
            f"/api/v1/meetings/{meeting_id}/video-guest", json={"guest_id": second["guest_id"]}
        )
        assert switched.status_code == 200
        await next_message(two, "video.guest")
        await view.send(signal("guests", session="h2"))
        hello_two = await next_message(two, "signal")
        await two.send(signal("host", session="g2"))
        from_two = await next_message(view, "signal")
        await one.send(signal("host", session="g1"))
        refused_one = await next_message(one, "signal.refused")

    assert hello["from"] == "host"
    assert refused["reason"] == "not_in_call"
    assert refused_host["reason"] == "not_in_call"
    assert hello_two["data"]["session"] == "h2"
    assert from_two["from"] == peer(second)
    assert refused_one["reason"] == "not_in_call"
    # The first phone heard nothing meant for the second.
    await one.send(json.dumps({"type": "ping"}))
    assert (await next_message(one, "pong", "signal")) == {"type": "pong"}
    await one.close()
    await two.close()


async def test_a_removed_guest_is_told_and_their_socket_closed_for_good(server, host):
    meeting_id, (first, second) = await two_phones(server, host)
    one = await guest_socket(server, first["guest_token"])
    two = await guest_socket(server, second["guest_token"])
    async with host.socket(f"/api/v1/meetings/{meeting_id}/live") as view:
        await next_message(
            view,
            "guest.connected",
            matching=lambda m: m["payload"]["guest_id"] == first["guest_id"],
        )

        removed = await host.http.delete(
            f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}"
        )
        assert removed.status_code == 200, removed.text
        told = await next_message(one, "guest.removed")
        with pytest.raises(ConnectionClosed) as closed:
            await next_message(one)
        seen = await next_message(view, "guest.removed")
        # The other phone stays, and is now on video.
        now_video = await next_message(two, "video.guest")

    assert told["payload"]["guest_id"] == first["guest_id"]
    assert closed.value.rcvd.code == REMOVED
    assert seen["payload"]["n"] == 1
    assert now_video["payload"]["guest_id"] == second["guest_id"]
    again = await guest_socket(server, first["guest_token"])
    with pytest.raises(ConnectionClosed) as refused:
        await next_message(again)
    assert refused.value.rcvd.code == REMOVED
    await two.send(json.dumps({"type": "ping"}))
    assert (await next_message(two, "pong")) == {"type": "pong"}
    await two.close()


# What a guest's page follows (join.js, embed/widget.js); the rest is the host's.
FOR_ANY_GUEST = {"meeting.started", "meeting.ended", "capture.requested", "video.guest"}
FOR_THIS_GUEST = {"guest.attached", "guest.removed"}


async def heard(socket, until: str) -> list[dict]:
    """Every event on ``socket`` up to the first ``until``, that included."""
    events = []
    while True:
        message = await next_message(socket)
        if message["type"] in ("pong", "signal", "signal.refused"):
            continue
        events.append(message)
        if message["type"] == until:
            return events


async def test_a_guest_hears_nothing_of_another_guests_pages_captures_or_presence(server, host):
    """Two customers in one meeting are two people: neither learns what
    the other visited or sent, that they came and went, or who removed
    them; live or replayed on reconnect."""
    meeting_id, (first, second) = await two_phones(server, host)
    one = await guest_socket(server, first["guest_token"])
    async with host.socket(f"/api/v1/meetings/{meeting_id}/live") as view:
        two = await guest_socket(server, second["guest_token"])
        await next_message(
            view,
            "guest.connected",
            matching=lambda m: m["payload"]["guest_id"] == second["guest_id"],
        )
        bearer = {"authorization": f"Bearer {second['guest_token']}"}
        async with httpx.AsyncClient(base_url=server.url, headers=bearer) as phone:
            visited = await phone.post(
                "/api/v1/guest/pages",
                json={"url": "https://shop.example/private", "title": "二人目のページ"},
            )
            assert visited.status_code == 204, visited.text
            await send_capture(phone, "二人目の画面", "https://shop.example/mine")
        removed = await host.http.delete(
            f"/api/v1/meetings/{meeting_id}/guests/{second['guest_id']}"
        )
        assert removed.status_code == 200, removed.text
        await next_message(two, "guest.removed")
        await two.close()
        asked = await host.http.post(f"/api/v1/meetings/{meeting_id}/capture-request")
        assert asked.status_code == 204, asked.text
        # The host's page heard it all.
        host_heard = await heard(view, "capture.requested")
    live = await heard(one, "capture.requested")
    await one.close()
    again = await guest_socket(server, first["guest_token"])
    replayed = await heard(again, "capture.requested")
    await again.close()

    assert {"page.visited", "capture.created", "guest.removed"} <= {m["type"] for m in host_heard}
    for events in (live, replayed):
        types = {m["type"] for m in events}
        assert types <= FOR_ANY_GUEST | FOR_THIS_GUEST, types
        assert "capture.requested" in types
        assert [
            m["type"]
            for m in events
            if m["type"] in FOR_THIS_GUEST and m["payload"]["guest_id"] != first["guest_id"]
        ] == []
        assert "二人目" not in json.dumps(events, ensure_ascii=False)
