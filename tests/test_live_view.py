"""The live view over the real server (issue #16): nothing of the guest's
page is taken before they agree, frames reach the meeting's console and
nobody else, a pause closes the tap at once, the host's pointer reaches the
guest with the host's own name, and every step is in the timeline and the
consent record."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.live_server import start_server
from tests.sockets import next_message
from tests.test_live import Host, new_number

pytestmark = pytest.mark.anyio
ORIGIN = "https://shop.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("live-view"), TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000"
    )
    yield running
    running.stop()


@pytest.fixture
async def host(server):
    async with Host.logged_in(server) as console:
        yield console


async def snippet_guest(server, host) -> tuple[dict, dict, object]:
    """A guest from a site's snippet, in a meeting of ``host``, with their socket."""
    site = (
        await host.http.post("/api/v1/sites", json={"name": "Shop", "origins": [ORIGIN]})
    ).json()
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": ORIGIN}) as guest:
        issued = await guest.post("/api/v1/guest/numbers", json={"site_key": site["site_key"]})
    assert issued.status_code == 201, issued.text
    issued = issued.json()
    meeting = await host.claim(issued["number"])
    issued["guest_id"] = await guest_id_of(server, issued["guest_token"])
    socket = await connect(
        server.url.replace("http", "ws", 1) + "/api/v1/guest/live", origin=ORIGIN
    )
    await socket.send(json.dumps({"type": "hello", "token": issued["guest_token"], "after": 0}))
    await next_message(socket, "meeting.started")
    return issued, meeting, socket


async def guest_id_of(server, token: str, origin: str = ORIGIN) -> int:
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": origin}) as guest:
        session = await guest.get(
            "/api/v1/guest/session", headers={"authorization": f"Bearer {token}"}
        )
    return session.json()["guest_id"]


async def guest_action(server, token: str, action: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, headers={"origin": ORIGIN}) as guest:
        return await guest.post(
            "/api/v1/guest/live-view",
            json={"action": action},
            headers={"authorization": f"Bearer {token}"},
        )


def frame(seq: int, text: str) -> str:
    # An rrweb incremental text mutation, as the snippet batches them.
    events = [{"type": 3, "data": {"source": 0, "texts": [{"id": 7, "value": text}]}}]
    return json.dumps(
        {"type": "view.frame", "seq": seq, "page": "p1", "batch_ms": 12, "events": events}
    )


async def test_frames_reach_the_host_only_while_the_guest_shares(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    token, guest_id = issued["guest_token"], issued["guest_id"]
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as console:
        await next_message(console, "guest.connected")

        # Before anyone asked: the page is not taken.
        await guest.send(frame(1, "before asking"))
        before = await next_message(guest, "view.refused")
        asked = await host.http.post(
            f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": guest_id}
        )
        told = await next_message(guest, "live_view.asked")
        await guest.send(frame(2, "asked, not agreed"))
        not_yet = await next_message(guest, "view.refused")

        async def step(action: str, heard: str, seq: int, text: str, answer_on) -> tuple:
            """The guest's tap, heard on its socket, then a frame sent: the
            tap's answer, and what the frame brought (``answer_on``'s next
            frame, or the guest's refusal)."""
            answer = await guest_action(server, token, action)
            await next_message(guest, heard)
            await guest.send(frame(seq, text))
            kind = "view.frame" if answer_on is console else "view.refused"
            return answer, await next_message(answer_on, kind)

        agreed, relayed = await step("agree", "live_view.started", 3, "shared", console)
        paused, refused_paused = await step("pause", "live_view.paused", 4, "while paused", guest)
        resumed, again = await step("resume", "live_view.resumed", 5, "resumed", console)
        stopped, refused_stopped = await step(
            "stop", "live_view.stopped", 6, "after stopping", guest
        )
        asked_again_without_asking = await guest_action(server, token, "agree")

    assert before["reason"] == not_yet["reason"] == "not_sharing"
    assert refused_paused["reason"] == refused_stopped["reason"] == "not_sharing"
    assert asked.json() == {"state": "asked"}
    assert told["payload"]["host"] == "Admin"
    assert [r.json()["state"] for r in (agreed, paused, resumed, stopped)] == [
        "on",
        "paused",
        "on",
        None,
    ]
    assert relayed["guest_id"] == guest_id
    assert relayed["events"][0]["data"]["texts"][0]["value"] == "shared"
    assert again["events"][0]["data"]["texts"][0]["value"] == "resumed"
    assert asked_again_without_asking.status_code == 409
    assert asked_again_without_asking.json()["error"]["code"] == "live_view_not_asked"

    events = (await host.http.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    steps = [(e["type"], e["payload"].get("by")) for e in events if e["type"].startswith("live_")]
    assert steps == [
        ("live_view.asked", None),
        ("live_view.started", None),
        ("live_view.paused", None),
        ("live_view.resumed", None),
        ("live_view.stopped", "guest"),
    ]
    # Nothing of the page was stored: no event carries a frame's text.
    assert "shared" not in json.dumps(events)
    await guest.close()


async def test_each_agreement_is_its_own_consent_and_the_record_lists_it(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    token, guest_id = issued["guest_token"], issued["guest_id"]
    for _ in range(2):
        await host.http.post(
            f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": guest_id}
        )
        assert (await guest_action(server, token, "agree")).json() == {"state": "on"}
        stop = await host.http.post(
            f"/api/v1/meetings/{meeting['id']}/live-view/stop", json={"guest_id": guest_id}
        )
        assert stop.json() == {"state": None}
    await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")

    record = (await host.http.get(f"/meetings/{meeting['id']}")).text
    consents = record.split('id="record-consents"', 1)[1].split("</ul>", 1)[0]
    assert consents.count("ライブ表示（画面の共有）に同意") == 2
    assert record.count("お客様 1 のライブ表示を停止しました") == 2
    await guest.close()


async def test_the_host_points_and_the_guest_hears_the_hosts_own_name(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    guest_id = issued["guest_id"]
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as console:
        await next_message(console, "guest.connected")
        target = {"node": 42, "fx": 0.5, "fy": 0.25, "page": "p1"}
        await console.send(
            json.dumps(
                {
                    "type": "view.pointer",
                    "guest_id": guest_id,
                    "target": target,
                    "points": None,
                    "name": "forged",
                }
            )
        )
        pointer = await next_message(guest, "view.pointer")
        await console.send(json.dumps({"type": "view.ping", "guest_id": guest_id, "t": 123.5}))
        ping = await next_message(guest, "view.ping")
        await guest.send(json.dumps({"type": "view.pong", "t": ping["t"]}))
        pong = await next_message(console, "view.pong")
        bad_targets = [
            {"node": -1, "fx": 0, "fy": 0, "page": "p1"},
            {"node": 1, "fx": 2, "fy": 0, "page": "p1"},
            {"node": 1, "fx": 0, "fy": 0},  # which page load's node 1?
            {"capture_id": 1, "x": "1", "y": 0},
            {"node": 1, "fx": 0, "fy": 0, "page": "p1", "extra": 1},
        ]
        answers = []
        for bad in bad_targets:
            await console.send(
                json.dumps({"type": "view.pointer", "guest_id": guest_id, "target": bad})
            )
            answers.append(await next_message(console, "view.refused"))
        other, _, other_socket = await snippet_guest(server, host)
        await console.send(json.dumps({"type": "view.want", "guest_id": other["guest_id"]}))
        elsewhere = await next_message(console, "view.refused")

    assert pointer == {"type": "view.pointer", "target": target, "points": None, "name": "Admin"}
    assert pong == {"type": "view.pong", "guest_id": guest_id, "t": 123.5}
    assert [a["reason"] for a in answers] == ["invalid"] * 5
    assert elsewhere["reason"] == "not_in_meeting"
    await guest.close()
    await other_socket.close()


async def test_a_frame_too_large_is_refused_and_the_socket_stays(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    token = issued["guest_token"]
    await host.http.post(
        f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": issued["guest_id"]}
    )
    await guest_action(server, token, "agree")
    await next_message(guest, "live_view.started")
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as console:
        await next_message(console, "guest.connected")
        await guest.send(frame(1, "x" * (4 * 1024 * 1024 + 1)))
        too_large = await next_message(guest, "view.refused")
        await guest.send(frame(2, "small"))
        small = await next_message(console, "view.frame")
        # What the snippet sends instead of a page too large to mirror.
        flagged = {"type": "view.frame", "seq": 3, "page": "p1", "batch_ms": 0, "events": []}
        await guest.send(json.dumps({**flagged, "too_large": True}))
        told = await next_message(console, "view.frame")
        await guest.send(json.dumps(flagged))  # empty, and not flagged
        empty = await next_message(guest, "view.refused")
    assert too_large["reason"] == "too_large"
    assert small["seq"] == 2
    assert told == {**flagged, "guest_id": issued["guest_id"], "too_large": True}
    assert empty["reason"] == "invalid"
    await guest.close()


async def test_only_a_snippet_guest_is_asked_and_the_end_of_the_meeting_ends_it(server, host):
    phone = await new_number(server)
    meeting = await host.claim(phone["number"])
    phone_id = await guest_id_of(server, phone["guest_token"], server.url)
    refused = await host.http.post(
        f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": phone_id}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "live_view_not_available"

    issued, meeting, guest = await snippet_guest(server, host)
    await host.http.post(
        f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": issued["guest_id"]}
    )
    await guest_action(server, issued["guest_token"], "agree")
    await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")
    ended = await next_message(guest, "live_view.stopped")
    assert ended["payload"]["ended"] == "ended"
    await guest.close()


async def test_an_admin_looking_on_gets_no_frame_and_cannot_point(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    added = await host.http.post(
        "/api/v1/users",
        json={"username": "onlooker", "password": "a long password 123", "role": "admin"},
    )
    assert added.status_code == 201, added.text
    await host.http.post(
        f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": issued["guest_id"]}
    )
    await guest_action(server, issued["guest_token"], "agree")
    await next_message(guest, "live_view.started")
    async with (
        Host.logged_in(server, "onlooker", "a long password 123") as admin,
        admin.socket(f"/api/v1/meetings/{meeting['id']}/live") as onlooker,
        host.socket(f"/api/v1/meetings/{meeting['id']}/live") as console,
    ):
        await next_message(onlooker, "live_view.started")
        await next_message(console, "live_view.started")
        target = {"node": 1, "fx": 0, "fy": 0, "page": "p1"}
        await onlooker.send(
            json.dumps({"type": "view.pointer", "guest_id": issued["guest_id"], "target": target})
        )
        not_host = await next_message(onlooker, "view.refused")
        await guest.send(frame(1, "for the host only"))
        await next_message(console, "view.frame")
        # Then something both sockets hear: the onlooker's next message of
        # either kind is that, not the frame.
        await host.http.post(f"/api/v1/meetings/{meeting['id']}/capture-request")
        after = await next_message(onlooker, "view.frame", "capture.requested")
    assert not_host["reason"] == "not_host"
    assert after["type"] == "capture.requested"
    await guest.close()


async def test_frames_stay_in_their_meeting_and_a_flood_is_cut_short(server, host):
    issued, meeting, guest = await snippet_guest(server, host)
    _, other_meeting, other_guest = await snippet_guest(server, host)
    await host.http.post(
        f"/api/v1/meetings/{meeting['id']}/live-view", json={"guest_id": issued["guest_id"]}
    )
    await guest_action(server, issued["guest_token"], "agree")
    await next_message(guest, "live_view.started")
    async with (
        host.socket(f"/api/v1/meetings/{meeting['id']}/live") as console,
        host.socket(f"/api/v1/meetings/{other_meeting['id']}/live") as other_console,
    ):
        await next_message(console, "guest.connected")
        await next_message(other_console, "guest.connected")
        for seq in range(60):  # at once: far over 20 a second
            await guest.send(frame(seq, f"frame {seq}"))
        refusals = [await next_message(guest, "view.refused") for _ in range(10)]
        await next_message(console, "view.frame")
        await host.http.post(f"/api/v1/meetings/{other_meeting['id']}/capture-request")
        elsewhere = await next_message(other_console, "view.frame", "capture.requested")
    assert {refusal["reason"] for refusal in refusals} == {"too_many"}
    assert elsewhere["type"] == "capture.requested"
    await guest.close()
    await other_guest.close()
