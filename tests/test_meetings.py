"""Meetings through the API: the guest's view and the host's, kept apart per host."""

from __future__ import annotations

import re

import pytest

from server.meetings import presence
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in


@pytest.fixture
async def guest(app):
    async with http_client(app, address="192.0.2.44") as client:
        yield client


async def get_number(guest, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await guest.post("/api/v1/guest/numbers", json={}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def as_guest(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


async def test_guest_reads_the_number_host_types_it_and_both_are_connected(host, guest):
    issued = await get_number(guest)
    assert len(issued["number"]) == 4
    assert 115 <= issued["expires_in"] <= 120
    waiting = (
        await guest.get("/api/v1/guest/session", headers=as_guest(issued["guest_token"]))
    ).json()
    assert waiting["status"] == "waiting"
    assert waiting["number"] == issued["number"]

    started = await host.post("/api/v1/meetings", json={"number": issued["number"]})

    assert started.status_code == 201
    meeting = started.json()
    assert meeting["state"] == "active"
    assert meeting["number"] == issued["number"]
    assert meeting["host"]["username"] == "tanaka"
    session = (
        await guest.get("/api/v1/guest/session", headers=as_guest(issued["guest_token"]))
    ).json()
    assert session["status"] == "connected"
    assert session["meeting_id"] == meeting["id"]
    assert session["host_name"] == "tanaka"
    live = (await host.get("/api/v1/meetings?state=live")).json()["meetings"]
    assert [m["id"] for m in live] == [meeting["id"]]


async def test_host_ends_and_the_guest_learns_it_ended(host, guest):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()

    ended = await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    assert ended.json()["state"] == "ended"
    assert ended.json()["ended_by"] == "host"
    session = (
        await guest.get("/api/v1/guest/session", headers=as_guest(issued["guest_token"]))
    ).json()
    assert session["status"] == "ended"
    assert session["ended_by"] == "host"
    again = await host.post(f"/api/v1/meetings/{meeting['id']}/end")
    assert again.status_code == 200  # ending twice is harmless
    types = [
        e["type"]
        for e in (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    ]
    assert types == ["meeting.started", "meeting.ended"]


async def test_guest_leaves_and_the_host_sees_who_ended_it(host, guest):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()

    left = await guest.post("/api/v1/guest/leave", headers=as_guest(issued["guest_token"]))

    assert left.json()["status"] == "ended"
    seen = (await host.get(f"/api/v1/meetings/{meeting['id']}")).json()
    assert seen["state"] == "ended"
    assert seen["ended_by"] == "guest"


async def test_a_guest_who_leaves_before_the_call_gives_the_number_back(host, guest):
    issued = await get_number(guest)
    await guest.post("/api/v1/guest/leave", headers=as_guest(issued["guest_token"]))
    late = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert late.json()["error"]["code"] == "number_expired"


async def test_a_reissued_number_keeps_the_same_guest_and_frees_the_old_one(host, guest):
    first = await get_number(guest)
    second = await get_number(guest, first["guest_token"])
    assert second["number"] != first["number"]
    old = await host.post("/api/v1/meetings", json={"number": first["number"]})
    assert old.json()["error"]["code"] == "number_expired"
    meeting = await host.post("/api/v1/meetings", json={"number": second["number"]})
    assert meeting.status_code == 201
    # The first token names the same guest, who is now connected.
    session = await guest.get("/api/v1/guest/session", headers=as_guest(first["guest_token"]))
    assert session.json()["status"] == "connected"


async def test_one_address_cannot_drain_the_numbers(app):
    async with http_client(app, address="198.51.100.99") as greedy:
        answers = [
            (await greedy.post("/api/v1/guest/numbers", json={})).status_code for _ in range(11)
        ]
    assert answers == [201] * 10 + [429]


@pytest.mark.parametrize("token", ["", "garbage", "eyJnIjoxfQ.forged.signature"])
async def test_forged_or_missing_guest_tokens_are_refused(guest, token):
    response = await guest.get("/api/v1/guest/session", headers=as_guest(token) if token else {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("guest_token_required", "invalid_guest_token")


async def test_hosts_see_only_their_own_meetings_and_admins_see_all(app, host, guest, make_user):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    await make_user("suzuki")
    await make_user("boss", role="admin")
    async with http_client(app) as other, http_client(app) as admin:
        await log_in(other, "suzuki")
        other.headers["x-csrf-token"] = await csrf_token(other)
        assert (await other.get(f"/api/v1/meetings/{meeting['id']}")).status_code == 404
        assert (await other.post(f"/api/v1/meetings/{meeting['id']}/end")).status_code == 404
        assert (await other.get(f"/api/v1/meetings/{meeting['id']}/events")).status_code == 404
        assert (await other.get("/api/v1/meetings")).json()["meetings"] == []
        await log_in(admin, "boss")
        assert (await admin.get(f"/api/v1/meetings/{meeting['id']}")).status_code == 200
    assert (await host.get(f"/api/v1/meetings/{meeting['id']}")).json()["state"] == "active"


async def test_events_can_be_fetched_after_a_given_id(host, guest):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    first = events[0]
    assert set(first) == {"id", "type", "meeting_id", "time", "payload"}
    later = (await host.get(f"/api/v1/meetings/{meeting['id']}/events?after={first['id']}")).json()
    assert [e["type"] for e in later["events"]] == ["meeting.ended"]
    bad = await host.get(f"/api/v1/meetings/{meeting['id']}/events?after=-1")
    assert bad.json()["error"]["code"] == "invalid_after"


async def test_the_join_page_links_the_owners_terms_when_configured(app, guest):
    plain = await guest.get("/join")
    assert plain.status_code == 200
    assert "利用規約とプライバシーポリシーを読む" not in plain.text
    services(app).settings = services(app).settings.replace(terms_url="https://shop.example/terms")
    linked = await guest.get("/join")
    assert 'href="https://shop.example/terms"' in linked.text


async def test_a_guest_reconnecting_before_the_old_connection_is_noticed_stays_present(
    app, host, guest
):
    """A phone switching networks opens a new connection before the server
    notices the old one is gone; the host must not see it as leaving."""
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    leases = services(app).presence
    old = await leases.join(meeting["id"], presence.GUEST, holder_id=1)
    new = await leases.join(meeting["id"], presence.GUEST, holder_id=1)
    await leases.leave(old, grace=0)  # the old connection is noticed closed
    await presence.reap(app)
    seen = (await host.get(f"/api/v1/meetings/{meeting['id']}")).json()
    assert seen["guest_connected"] is True

    await leases.leave(new, grace=0)
    await presence.reap(app)
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    assert [e["type"] for e in events] == [
        "meeting.started",
        "guest.connected",
        "guest.disconnected",
    ]
    assert (await host.get(f"/api/v1/meetings/{meeting['id']}")).json()["guest_connected"] is False


async def test_another_site_cannot_make_its_visitors_request_numbers(guest):
    foreign = await guest.post(
        "/api/v1/guest/numbers", json={}, headers={"origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "origin_not_allowed"
    # No body is needed; a body that is not the expected JSON is refused.
    assert (await guest.post("/api/v1/guest/numbers")).status_code == 201
    form = await guest.post("/api/v1/guest/numbers", data={"x": "1"})
    assert form.status_code == 415
    unknown = await guest.post("/api/v1/guest/numbers", json={"colour": "red"})
    assert unknown.status_code == 422


async def test_a_screen_support_guest_joins_a_running_phone_meeting(host, guest, app):
    """Flow 2: the host types a snippet guest's number in a meeting's view."""
    phone = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": phone["number"]})).json()
    async with http_client(app, address="192.0.2.99") as snippet:
        second = await get_number(snippet)

        attached = await host.post(
            f"/api/v1/meetings/{meeting['id']}/guests", json={"number": second["number"]}
        )

        assert attached.status_code == 200
        session = await snippet.get(
            "/api/v1/guest/session", headers=as_guest(second["guest_token"])
        )
    assert session.json()["status"] == "connected"
    assert session.json()["meeting_id"] == meeting["id"]
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    assert [e["type"] for e in events] == ["meeting.started", "guest.attached"]
    again = await host.post(
        f"/api/v1/meetings/{meeting['id']}/guests", json={"number": second["number"]}
    )
    assert again.json()["error"]["code"] == "number_used"
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")
    late = await host.post(f"/api/v1/meetings/{meeting['id']}/guests", json={"number": "1234"})
    assert late.json()["error"]["code"] == "meeting_ended"


def highlighted_menu_item(page: str) -> str:
    """The href of the console menu's link marked as the current page."""
    match = re.search(r'<a href="([^"]+)" aria-current="page"', page)
    assert match, "no menu item is highlighted"
    return match.group(1)


async def test_a_live_meeting_belongs_to_the_dashboard_and_an_ended_one_to_history(host, guest):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()

    live = await host.get(f"/meetings/{meeting['id']}")
    assert highlighted_menu_item(live.text) == "/"

    await host.post(f"/api/v1/meetings/{meeting['id']}/end")
    ended = await host.get(f"/meetings/{meeting['id']}")
    assert highlighted_menu_item(ended.text) == "/meetings"
    assert highlighted_menu_item((await host.get("/meetings")).text) == "/meetings"


async def test_the_host_changes_the_meetings_options_and_the_timeline_says_so(host, guest):
    issued = await get_number(guest)
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    assert meeting["options"] == {
        "waiting_room": False,
        "recording": False,
        "it_mode": False,
        "browser_audio": False,
    }
    url = f"/api/v1/meetings/{meeting['id']}/options"

    changed = await host.patch(url, json={"it_mode": True, "recording": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["options"] == {
        "waiting_room": False,
        "recording": True,
        "it_mode": True,
        "browser_audio": False,
    }
    # Unchanged values make no event; a changed one does, heard by the guest.
    await host.patch(url, json={"it_mode": True})
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    told = [e["payload"] for e in events if e["type"] == "meeting.options"]
    assert told == [
        {
            "waiting_room": False,
            "recording": True,
            "it_mode": True,
            "browser_audio": False,
            "changed": ["it_mode", "recording"],
        }
    ]

    assert (await host.patch(url, json={"it_mode": "yes please"})).json()["error"][
        "code"
    ] == "invalid_request"
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")
    ended = await host.patch(url, json={"browser_audio": True})
    assert (ended.status_code, ended.json()["error"]["code"]) == (409, "meeting_ended")
