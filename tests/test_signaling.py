"""Signaling for the video call, against the real server: messages pass
between the host and their guest only, and never once the meeting ended."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from tests.live_server import start_server
from tests.sockets import next_message
from tests.test_live import Host, guest_socket, new_number


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Many guests from 127.0.0.1: the per-address number limit is tested elsewhere.
    running = start_server(
        tmp_path_factory.mktemp("signaling"), TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000"
    )
    yield running
    running.stop()


@pytest.fixture
async def host(server):
    async with Host.logged_in(server) as console:
        yield console


def signal(to: str, kind: str = "hello", **data) -> str:
    return json.dumps({"type": "signal", "to": to, "data": {"kind": kind, **data}})


async def in_a_meeting(server, host) -> tuple[dict, dict]:
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    return issued, meeting


async def call_setup(server, token: str) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get(
            "/api/v1/guest/call", headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    return response.json()


async def test_host_and_guest_exchange_signals_through_the_meeting(server, host):
    issued, meeting = await in_a_meeting(server, host)
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")
    me = (await call_setup(server, issued["guest_token"]))["peer"]
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
        await next_message(view, "guest.connected")

        await view.send(signal("guests", session="h1"))
        hello = await next_message(guest, "signal")
        await guest.send(signal("host", "description", session="g1", sdp="v=0", type="offer"))
        offer = await next_message(view, "signal")
        await view.send(signal(me, "candidate", session="h1", candidate={"candidate": ""}))
        candidate = await next_message(guest, "signal")

    assert hello == {
        "type": "signal",
        "from": "host",
        "meeting_id": meeting["id"],
        "data": {"kind": "hello", "session": "h1"},
    }
    assert offer["from"] == me
    assert offer["data"]["sdp"] == "v=0"
    assert candidate["data"]["kind"] == "candidate"
    await guest.close()


async def test_a_guest_of_another_meeting_cannot_signal_into_this_one(server, host):
    issued, meeting = await in_a_meeting(server, host)
    other, _ = await in_a_meeting(server, host)
    ours = await guest_socket(server, issued["guest_token"])
    theirs = await guest_socket(server, other["guest_token"])
    await next_message(ours, "meeting.started")
    await next_message(theirs, "meeting.started")
    them = (await call_setup(server, other["guest_token"]))["peer"]
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
        # The host of this meeting writes to a guest who is not in it...
        await view.send(signal(them, session="h1"))
        refused = await next_message(view, "signal.refused")
        # ...and a guest may only write to their host, not to another guest.
        await ours.send(signal(them, session="g1"))
        refused_guest = await next_message(ours, "signal.refused")

    assert refused["reason"] == "not_in_meeting"
    assert refused_guest["reason"] == "not_in_meeting"
    await theirs.send(json.dumps({"type": "ping"}))
    assert (await next_message(theirs, "pong", "signal")) == {"type": "pong"}  # nothing got through
    await ours.close()
    await theirs.close()


async def test_a_guest_still_waiting_for_the_host_cannot_signal(server):
    issued = await new_number(server)
    waiting = await guest_socket(server, issued["guest_token"])

    await waiting.send(signal("host", session="g1"))

    assert (await next_message(waiting, "signal.refused"))["reason"] == "not_in_meeting"
    await waiting.close()


async def test_nothing_passes_once_the_meeting_has_ended(server, host):
    issued, meeting = await in_a_meeting(server, host)
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
        await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")
        await next_message(guest, "meeting.ended")

        await guest.send(signal("host", session="g1"))
        refused = await next_message(guest, "signal.refused")
        await view.send(signal("guests", session="h1"))
        refused_host = await next_message(view, "signal.refused")

    assert refused["reason"] == "meeting_ended"
    assert refused_host["reason"] == "meeting_ended"
    async with httpx.AsyncClient(base_url=server.url) as client:
        setup = await client.get(
            "/api/v1/guest/call", headers={"authorization": f"Bearer {issued['guest_token']}"}
        )
    assert setup.status_code == 409
    await guest.close()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "launch-missiles"},
        "hello",
        {"kind": "description", "sdp": "x" * 40_000},
        "nested too deep to measure",
    ],
)
async def test_malformed_signals_are_refused(server, host, data):
    issued, _ = await in_a_meeting(server, host)
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")

    if data == "nested too deep to measure":
        # Loads as JSON, but is too deep to be written out again.
        deep = "[" * 990 + "]" * 990
        raw = '{"type": "signal", "to": "host", "data": {"kind": "hello", "deep": ' + deep + "}}"
    else:
        raw = json.dumps({"type": "signal", "to": "host", "data": data})
    await guest.send(raw)
    await guest.send(json.dumps({"type": "ping"}))

    answer = await next_message(guest, "signal.refused", "pong")
    if data == "nested too deep to measure" and answer["type"] == "pong":
        pass  # too deep even to read: ignored like any unreadable frame
    else:
        assert answer["reason"] == "invalid"
        assert await next_message(guest, "pong")  # the socket is still there
    await guest.close()


async def test_the_call_setup_names_each_side_and_its_ice_servers(server, host):
    issued, meeting = await in_a_meeting(server, host)

    guest_setup = await call_setup(server, issued["guest_token"])
    host_setup = (await host.http.get(f"/api/v1/meetings/{meeting['id']}/call")).json()

    assert guest_setup["peer"].startswith("guest-")
    assert guest_setup["meeting_id"] == meeting["id"]
    assert host_setup["peer"] == "host"
    assert guest_setup["ice_servers"] == host_setup["ice_servers"] == []  # nothing external
    assert guest_setup["audio"] is False
    assert guest_setup["ice_transport_policy"] == host_setup["ice_transport_policy"] == "all"


async def test_browser_audio_or_it_mode_puts_audio_in_the_call(server, host):
    issued, meeting = await in_a_meeting(server, host)
    options = f"/api/v1/meetings/{meeting['id']}/options"

    for body, audio in (({"browser_audio": True}, True), ({"browser_audio": False}, False)):
        assert (await host.http.patch(options, json=body)).status_code == 200
        assert (await call_setup(server, issued["guest_token"]))["audio"] is audio
    assert (await host.http.patch(options, json={"it_mode": True})).status_code == 200
    host_setup = (await host.http.get(f"/api/v1/meetings/{meeting['id']}/call")).json()
    assert host_setup["audio"] is True


async def test_a_flood_of_signals_is_cut_short_and_the_socket_stays(server, host):
    issued, _ = await in_a_meeting(server, host)
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")

    for _ in range(400):
        await guest.send(signal("host", "candidate", session="g1", candidate=None))
    reasons = set()
    with anyio.fail_after(20):
        while "too_many" not in reasons:
            reasons.add((await next_message(guest, "signal.refused", "signal"))["reason"])

    await guest.send(json.dumps({"type": "ping"}))
    assert await next_message(guest, "pong")
    await guest.close()


async def test_an_admin_looking_on_is_not_in_the_call(server, host):
    issued, meeting = await in_a_meeting(server, host)
    # The first-run admin is this meeting's host; a second admin is not.
    created = await host.http.post(
        "/api/v1/users",
        json={"username": "boss2", "password": "correct horse battery", "role": "admin"},
    )
    assert created.status_code == 201, created.text
    async with (
        Host.logged_in(server, "boss2", "correct horse battery") as other,
        other.socket(f"/api/v1/meetings/{meeting['id']}/live") as onlooker,
    ):
        setup = await other.http.get(f"/api/v1/meetings/{meeting['id']}/call")
        guest = await guest_socket(server, issued["guest_token"])
        await next_message(guest, "meeting.started")
        await onlooker.send(signal("guests", session="x"))
        refused = await next_message(onlooker, "signal.refused")
        await guest.send(signal("host", session="g1"))
        await guest.send(json.dumps({"type": "ping"}))
        await next_message(guest, "pong")
        await onlooker.send(json.dumps({"type": "ping"}))
        heard = await next_message(onlooker, "pong", "signal")

    assert setup.status_code == 403
    assert setup.json()["error"]["code"] == "not_in_call"
    assert refused["reason"] == "not_in_meeting"
    assert heard == {"type": "pong"}  # the guest's hello went to the host, not here
    await guest.close()
