"""The waiting room and prepared meetings, through the API (issue #14):
a guest opening a link knocks, the host admits or refuses with a note, a
refused guest knocks again after a minute, several wait at once, a knocking
guest hears nothing of the meeting, what they agreed to is on record, and a
prepared meeting's link lasts days while the reaper leaves the meeting be."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import connect

from server.accounts import sites
from server.meetings import presence
from server.storage.models import Consent, Guest, JoinLink, Meeting, PresenceLease, User, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in
from tests.served_app import serving
from tests.sockets import next_message
from tests.test_guests import events, guest_list, make_site, new_link, session
from tests.test_meetings import as_guest, get_number


@pytest.fixture
def settings(settings):
    """As a server is set out of the box: link meetings have the waiting room."""
    return settings.replace(waiting_room_links=True)


async def link_meeting(host) -> int:
    made = await host.post("/api/v1/meetings/by-link", json={})
    assert made.status_code == 201, made.text
    return made.json()["meeting"]["id"]


async def knock(app, token: str, address: str, name: str = "", agree=()) -> dict:
    async with http_client(app, address=address) as phone:
        response = await phone.post(
            "/api/v1/guest/links", json={"token": token, "name": name, "agree": list(agree)}
        )
    assert response.status_code == 201, response.text
    return response.json()


async def answer(host, meeting_id: int, guest_id: int, how: str, **body) -> dict:
    response = await host.post(f"/api/v1/meetings/{meeting_id}/knocks/{guest_id}/{how}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def knock_again(app, token: str):
    async with http_client(app, address="192.0.2.90") as phone:
        return await phone.post("/api/v1/guest/knock", json={}, headers=as_guest(token))


async def test_a_link_meeting_has_the_waiting_room_out_of_the_box(app, host):
    meeting_id = await link_meeting(host)
    shown = (await host.get(f"/api/v1/meetings/{meeting_id}")).json()
    assert shown["options"]["waiting_room"] is True


async def test_a_guest_knocks_waits_and_is_let_in(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.10", name="山田花子")

    assert knocked["status"] == "waiting"
    assert knocked["video"] is False
    waiting = await session(app, knocked["guest_token"])
    assert waiting["status"] == "waiting"
    assert waiting["meeting_id"] == meeting_id
    assert waiting["knock"]["state"] == "waiting"
    assert waiting["knock"]["name"] == "山田花子"
    listed = await guest_list(host, meeting_id)
    assert listed["guests"] == []
    assert [(k["guest_id"], k["name"]) for k in listed["waiting"]] == [
        (knocked["guest_id"], "山田花子")
    ]
    toasts = (await host.get("/api/v1/knocks")).json()["knocks"]
    assert [(k["meeting_id"], k["name"]) for k in toasts] == [(meeting_id, "山田花子")]
    # Not in the meeting yet: no call, no memo, no meeting running.
    async with http_client(app, address="192.0.2.10") as phone:
        call = await phone.get("/api/v1/guest/call", headers=as_guest(knocked["guest_token"]))
    assert call.status_code >= 400
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["state"] == "waiting"

    after = await answer(host, meeting_id, knocked["guest_id"], "admit")

    assert after["waiting"] == []
    assert [(g["id"], g["on_video"]) for g in after["guests"]] == [(knocked["guest_id"], True)]
    assert (await session(app, knocked["guest_token"]))["status"] == "connected"
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["state"] == "active"
    assert (await host.get("/api/v1/knocks")).json()["knocks"] == []
    kinds = [e["type"] for e in await events(host, meeting_id)]
    assert kinds == ["meeting.created", "knock.waiting", "meeting.started", "guest.admitted"]


async def test_refused_with_a_note_then_too_soon_then_a_minute_later_waiting_again(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.11")

    after = await answer(host, meeting_id, knocked["guest_id"], "refuse", note="busy")

    assert after["waiting"] == []
    refused = await session(app, knocked["guest_token"])
    assert refused["status"] == "refused"
    assert refused["knock"]["note"] == "busy"
    assert 55 <= refused["knock"]["again_in"] <= 60
    too_soon = await knock_again(app, knocked["guest_token"])
    assert too_soon.status_code == 429
    assert too_soon.json()["error"]["code"] == "knock_too_soon"
    assert "秒後" in too_soon.json()["error"]["message"]

    # A minute passes.
    async with services(app).db.begin() as db:
        await db.execute(
            update(Guest)
            .where(Guest.id == knocked["guest_id"])
            .values(answered_at=utcnow() - timedelta(seconds=61))
        )
    again = await knock_again(app, knocked["guest_token"])

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "waiting"
    assert again.json()["knock"]["note"] is None
    assert [k["guest_id"] for k in (await guest_list(host, meeting_id))["waiting"]] == [
        knocked["guest_id"]
    ]
    kinds = [e["type"] for e in await events(host, meeting_id)]
    assert kinds[1:] == ["knock.waiting", "guest.refused", "knock.waiting"]
    refusal = next(e for e in await events(host, meeting_id) if e["type"] == "guest.refused")
    assert refusal["payload"]["note"] == "busy"


async def test_a_refusal_note_must_be_one_of_the_canned_ones(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.12")
    response = await host.post(
        f"/api/v1/meetings/{meeting_id}/knocks/{knocked['guest_id']}/refuse",
        json={"note": "<b>go away</b>"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert [k["guest_id"] for k in (await guest_list(host, meeting_id))["waiting"]] == [
        knocked["guest_id"]
    ]


async def test_two_guests_wait_with_their_names_longest_first(app, host):
    meeting_id = await link_meeting(host)
    first = await knock(app, await new_link(host, meeting_id), "192.0.2.13", name="佐藤")
    second = await knock(app, await new_link(host, meeting_id), "192.0.2.14", name="鈴木")

    waiting = (await guest_list(host, meeting_id))["waiting"]
    assert [(k["guest_id"], k["name"]) for k in waiting] == [
        (first["guest_id"], "佐藤"),
        (second["guest_id"], "鈴木"),
    ]
    assert all(datetime.fromisoformat(k["knocked_at"]) <= datetime.now(UTC) for k in waiting)

    await answer(host, meeting_id, second["guest_id"], "admit")
    listed = await guest_list(host, meeting_id)
    assert [k["guest_id"] for k in listed["waiting"]] == [first["guest_id"]]
    assert [g["id"] for g in listed["guests"]] == [second["guest_id"]]
    assert (await session(app, first["guest_token"]))["status"] == "waiting"


async def test_a_waiting_guest_who_gives_up_leaves_the_list(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.15", name="高橋")
    async with http_client(app, address="192.0.2.15") as phone:
        left = await phone.post(
            "/api/v1/guest/leave", json={}, headers=as_guest(knocked["guest_token"])
        )
    assert left.status_code == 200, left.text
    assert (await guest_list(host, meeting_id))["waiting"] == []
    assert [e["type"] for e in await events(host, meeting_id)][-1] == "knock.left"
    answered = await host.post(
        f"/api/v1/meetings/{meeting_id}/knocks/{knocked['guest_id']}/admit", json={}
    )
    assert answered.status_code == 409
    assert answered.json()["error"]["code"] == "knock_not_waiting"


async def test_a_meeting_ended_while_a_guest_waits_tells_them_and_refuses_answers(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.16")
    assert (await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})).status_code == 200

    assert (await session(app, knocked["guest_token"]))["status"] == "ended"
    listed = await guest_list(host, meeting_id)
    assert listed["waiting"] == []
    assert (await host.get("/api/v1/knocks")).json()["knocks"] == []
    for how in ("admit", "refuse"):
        response = await host.post(
            f"/api/v1/meetings/{meeting_id}/knocks/{knocked['guest_id']}/{how}", json={}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "meeting_ended"


async def test_only_the_meetings_own_host_answers_a_knock(app, host, make_user):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.17")
    await make_user("sato")
    await make_user("boss", role="admin")
    for username, status, code in (
        ("sato", 404, "meeting_not_found"),
        ("boss", 403, "not_meeting_host"),
    ):
        async with http_client(app) as other:
            await log_in(other, username)
            other.headers["x-csrf-token"] = await csrf_token(other)
            for how in ("admit", "refuse"):
                response = await other.post(
                    f"/api/v1/meetings/{meeting_id}/knocks/{knocked['guest_id']}/{how}", json={}
                )
                assert response.status_code == status, (username, response.text)
                assert response.json()["error"]["code"] == code
            assert (await other.get("/api/v1/knocks")).json()["knocks"] == []
    assert len((await guest_list(host, meeting_id))["waiting"]) == 1


async def test_what_the_guest_agreed_to_is_recorded_with_its_terms_version(app, host):
    meeting_id = await link_meeting(host)
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"recording": True})
    knocked = await knock(
        app,
        await new_link(host, meeting_id),
        "192.0.2.18",
        agree=("capture", "camera", "recording"),
    )
    plain = await link_meeting(host)
    other = await knock(
        app, await new_link(host, plain), "192.0.2.19", agree=("camera", "recording")
    )

    async with services(app).db() as db:
        rows = list(await db.scalars(select(Consent).order_by(Consent.id)))
    mine = {
        (c.kind, c.terms, c.place, c.meeting_id) for c in rows if c.guest_id == knocked["guest_id"]
    }
    assert mine == {
        ("terms", "join.consent@1", "link", meeting_id),
        ("capture", "join.agree_capture@1", "link", meeting_id),
        ("camera", "join.agree_camera@1", "link", meeting_id),
        ("recording", "join.agree_recording@1", "link", meeting_id),
    }
    # Recording is not on in that meeting: nothing was asked, nothing is kept.
    theirs = {(c.kind, c.meeting_id) for c in rows if c.guest_id == other["guest_id"]}
    assert theirs == {("terms", plain), ("camera", plain)}


async def test_a_knocking_guest_hears_nothing_of_the_meeting_until_answered(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.20")
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": knocked["guest_token"]}))
        await socket.send(json.dumps({"type": "ping"}))
        await next_message(socket, "pong")
        # Things every guest of the meeting hears, while this one waits.
        await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"recording": True})
        await host.patch(f"/api/v1/meetings/{meeting_id}", json={"guest_label": "山田様"})
        await answer(host, meeting_id, knocked["guest_id"], "refuse", note="call_back")

        refused = await next_message(socket, matching=lambda m: m["type"] != "pong")
        assert refused["type"] == "guest.refused"
        assert refused["payload"]["note"] == "call_back"

        async with services(app).db.begin() as db:
            await db.execute(
                update(Guest)
                .where(Guest.id == knocked["guest_id"])
                .values(answered_at=utcnow() - timedelta(minutes=2))
            )
        assert (await knock_again(app, knocked["guest_token"])).status_code == 200
        assert (await next_message(socket, matching=lambda m: m["type"] != "pong"))["type"] == (
            "knock.waiting"
        )
        await answer(host, meeting_id, knocked["guest_id"], "admit")
        started = await next_message(socket, matching=lambda m: m["type"] != "pong")
        assert started["type"] == "meeting.started"
        admitted = await next_message(socket, "guest.admitted")
        assert admitted["payload"]["guest_id"] == knocked["guest_id"]
        # In now: what every guest hears reaches this one too.
        await host.post(f"/api/v1/meetings/{meeting_id}/capture-request", json={})
        await next_message(socket, "capture.requested")


async def test_without_the_waiting_room_a_link_still_joins_at_once(app, host):
    meeting_id = await link_meeting(host)
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"waiting_room": False})
    joined = await knock(app, await new_link(host, meeting_id), "192.0.2.21", name="伊藤")
    assert joined["status"] == "connected"
    assert (await guest_list(host, meeting_id))["waiting"] == []


async def test_an_admin_sets_a_hosts_default_and_the_hosts_link_meetings_follow(
    app, host, admin_client
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    async with services(app).db() as db:
        tanaka = await db.scalar(select(User).where(User.username == "tanaka"))
    for default, expected in ((False, False), (None, True), (True, True)):
        changed = await admin_client.patch(
            f"/api/v1/users/{tanaka.id}", json={"waiting_room_default": default}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["waiting_room_default"] is default
        meeting_id = await link_meeting(host)
        shown = (await host.get(f"/api/v1/meetings/{meeting_id}")).json()
        assert shown["options"]["waiting_room"] is expected, default
    # A host cannot change it for themselves.
    refused = await host.patch(f"/api/v1/users/{tanaka.id}", json={"waiting_room_default": False})
    assert refused.status_code == 403


async def test_a_site_can_give_its_snippets_number_meetings_the_waiting_room(
    app, host, admin_client
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    site_key = await make_site(app)
    async with services(app).db() as db:
        site_id = (await sites.find_by_key(db, site_key)).id
    meetings = []
    for default in (None, True):
        changed = await admin_client.patch(
            f"/api/v1/sites/{site_id}", json={"waiting_room_default": default}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["waiting_room_default"] is default
        async with http_client(app, address="192.0.2.45") as snippet:
            issued = await snippet.post(
                "/api/v1/guest/numbers",
                json={"site_key": site_key},
                headers={"origin": "https://shop.example"},
            )
        started = await host.post("/api/v1/meetings", json={"number": issued.json()["number"]})
        assert started.status_code == 201, started.text
        meetings.append(started.json()["options"]["waiting_room"])
    # A number from the join page: the host typed it, no waiting room.
    async with http_client(app, address="192.0.2.46") as phone:
        plain = await get_number(phone)
    started = await host.post("/api/v1/meetings", json={"number": plain["number"]})
    meetings.append(started.json()["options"]["waiting_room"])
    assert meetings == [False, True, False]


# -- prepared meetings ------------------------------------------------------------


async def prepare(host, **body) -> dict:
    body.setdefault("guest_label", "山田様")
    response = await host.post("/api/v1/meetings/prepared", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_prepared_meeting_waits_with_a_link_valid_for_days(app, host):
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    made = await prepare(
        host, scheduled_at=when.isoformat(), valid_days=5, recording=True, it_mode=False
    )

    meeting = made["meeting"]
    assert meeting["state"] == "waiting"
    assert meeting["guest_label"] == "山田様"
    assert meeting["options"] == {
        "waiting_room": True,
        "recording": True,
        "it_mode": False,
        "browser_audio": False,
    }
    assert datetime.fromisoformat(made["scheduled_at"]) == when
    expires = datetime.fromisoformat(made["link"]["expires_at"])
    assert timedelta(days=4, hours=23) < expires - datetime.now(UTC) <= timedelta(days=5)
    upcoming = (await host.get("/api/v1/meetings/prepared")).json()["meetings"]
    assert [m["meeting"]["id"] for m in upcoming] == [meeting["id"]]
    assert upcoming[0]["link"]["url"].split("/j/")[0] == made["link"]["url"].split("/j/")[0]

    # Hours later, past the half hour of an ordinary link, it still works.
    async with services(app).db.begin() as db:
        await db.execute(
            update(JoinLink)
            .where(JoinLink.meeting_id == meeting["id"])
            .values(created_at=utcnow() - timedelta(hours=5))
        )
    token = made["link"]["url"].rsplit("/", 1)[1]
    page = await host.get(f"/j/{token}")
    assert page.status_code == 200
    knocked = await knock(app, token, "192.0.2.30", name="山田")
    assert knocked["status"] == "waiting"
    # The link is that phone's now, as every join link.
    async with http_client(app, address="192.0.2.31") as other:
        used = await other.post("/api/v1/guest/links", json={"token": token})
    assert used.status_code == 409
    assert used.json()["error"]["code"] == "link_used"

    await answer(host, meeting["id"], knocked["guest_id"], "admit")
    assert (await host.get("/api/v1/meetings/prepared")).json()["meetings"] == []


async def test_a_prepared_link_past_its_day_is_expired(app, host):
    made = await prepare(host, valid_days=1)
    async with services(app).db.begin() as db:
        await db.execute(
            update(JoinLink)
            .where(JoinLink.meeting_id == made["meeting"]["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    token = made["link"]["url"].rsplit("/", 1)[1]
    async with http_client(app, address="192.0.2.32") as phone:
        response = await phone.post("/api/v1/guest/links", json={"token": token})
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "link_expired"


async def test_a_prepared_meeting_refuses_what_cannot_be_prepared(app, host):
    for body, code in (
        ({"guest_label": "   "}, "customer_name_required"),
        ({"guest_label": "山田様", "valid_days": 31}, "invalid_valid_days"),
        ({"guest_label": "山田様", "valid_days": 0}, "invalid_request"),
        (
            {"guest_label": "山田様", "scheduled_at": "2020-01-01T10:00:00+09:00"},
            "scheduled_in_past",
        ),
        ({"guest_label": "山田様", "scheduled_at": "2030-01-01T10:00:00"}, "invalid_scheduled_at"),
    ):
        response = await host.post("/api/v1/meetings/prepared", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == code


async def test_the_reaper_keeps_a_prepared_meeting_until_its_link_expires(app, host):
    made = await prepare(host, valid_days=3)
    meeting_id = made["meeting"]["id"]
    # Long past the idle limit and the half hour of an ordinary link.
    later = utcnow() + timedelta(days=2)
    await presence.reap(app, now=later)
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id)).state == "waiting"
    await presence.reap(app, now=utcnow() + timedelta(days=4))
    async with services(app).db() as db:
        meeting = await db.get(Meeting, meeting_id, populate_existing=True)
        assert (meeting.state, meeting.ended_by) == ("ended", "timeout")


async def test_a_prepared_meetings_sms_link_lasts_as_long_and_says_until_when(app, host):
    made = await prepare(host, valid_days=3)
    sent = await host.post(
        f"/api/v1/meetings/{made['meeting']['id']}/sms", json={"phone": "090-1234-5678"}
    )
    assert sent.status_code == 201, sent.text
    assert "日まで有効" in sent.json()["body"]
    async with services(app).db() as db:
        made_links = list(
            await db.scalars(select(JoinLink).where(JoinLink.meeting_id == made["meeting"]["id"]))
        )
    assert len(made_links) == 2
    assert made_links[0].expires_at == made_links[1].expires_at


async def test_the_users_and_site_pages_set_the_defaults(app, admin_client, make_user):
    tanaka = await make_user("tanaka")
    token = await csrf_token(admin_client, "/admin/users")
    saved = await admin_client.post(
        f"/admin/users/{tanaka.id}",
        data={"csrf_token": token, "action": "waiting_room", "waiting_room": "off"},
    )
    assert saved.status_code == 303
    page = await admin_client.get("/admin/users")
    assert "tanaka さんの待機室の既定値を保存しました。" in page.text
    site_key = await make_site(app)
    async with services(app).db() as db:
        assert (await db.get(User, tanaka.id)).waiting_room_default is False
        site = await sites.find_by_key(db, site_key)
    form = {
        "csrf_token": token,
        "action": "save",
        "name": "Shop",
        "origins": "https://shop.example",
        "unmask_selectors": "",
        "waiting_room_default": "on",
    }
    assert (await admin_client.post(f"/admin/sites/{site.id}", data=form)).status_code == 303
    async with services(app).db() as db:
        assert (await db.get(User, tanaka.id, populate_existing=True)).waiting_room_default is False
        assert (await sites.find_by_key(db, site_key)).waiting_room_default is True
    shown = await admin_client.get(f"/admin/sites/{site.id}")
    assert '<option value="on" selected>' in shown.text


async def test_the_reaper_keeps_a_meeting_someone_is_knocking_at(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.33")
    later = utcnow() + timedelta(hours=2)  # past the idle limit and the link's half hour
    # Their waiting page is still open (its socket's lease renewed until now).
    await services(app).presence.join(meeting_id, presence.KNOCK, knocked["guest_id"], now=later)
    await presence.reap(app, now=later)
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id)).state == "waiting"

    async with http_client(app, address="192.0.2.33") as phone:
        await phone.post("/api/v1/guest/leave", json={}, headers=as_guest(knocked["guest_token"]))
    # Gone: their page's socket closed with them.
    await presence.reap(app, now=later + timedelta(hours=2))
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id, populate_existing=True)).state == "ended"


async def test_a_knocking_guest_hears_that_the_meeting_ended(app, host):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.34")
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": knocked["guest_token"]}))
        await socket.send(json.dumps({"type": "ping"}))
        await next_message(socket, "pong")
        await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})
        ended = await next_message(socket, matching=lambda m: m["type"] != "pong")
    assert ended["type"] == "meeting.ended"
    assert ended["payload"]["by"] == "host"


async def test_the_record_shows_the_knocks_and_what_the_guest_agreed_to(app, host):
    meeting_id = await link_meeting(host)
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"recording": True})
    knocked = await knock(
        app, await new_link(host, meeting_id), "192.0.2.35", agree=("camera", "recording")
    )
    await answer(host, meeting_id, knocked["guest_id"], "admit")
    await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})

    record = await host.get(f"/meetings/{meeting_id}")

    assert record.status_code == 200
    assert "お客様が待機室で入室を待っています" in record.text
    assert "tanaka がお客様の入室を許可しました" in record.text
    assert "カメラの映像の送信に同意（参加リンク）" in record.text
    assert "録画に同意（参加リンク）" in record.text
    assert "join.agree_recording@1" in record.text


async def test_a_knocking_guest_hears_the_meeting_ended_while_it_was_recording(app, host):
    meeting_id = await link_meeting(host)
    started = await host.post(
        f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": "video/webm"}
    )
    assert started.status_code == 201, started.text
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.36")
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": knocked["guest_token"]}))
        await socket.send(json.dumps({"type": "ping"}))
        await next_message(socket, "pong")
        await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})
        ended = await next_message(socket, matching=lambda m: m["type"] != "pong")
    # The recording's stop, recorded after the end, is not what reaches them.
    assert ended["type"] == "meeting.ended"
    assert ended["payload"]["by"] == "host"


async def test_a_guest_let_in_while_it_records_is_asked_to_agree(app, host):
    meeting_id = await link_meeting(host)
    started = await host.post(
        f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": "video/webm"}
    )
    assert started.status_code == 201, started.text
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.37")
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": knocked["guest_token"]}))
        await socket.send(json.dumps({"type": "ping"}))
        await next_message(socket, "pong")
        await answer(host, meeting_id, knocked["guest_id"], "admit")
        await next_message(socket, "guest.admitted")
        asked = await next_message(socket, "recording.consent_requested")
    assert asked["payload"]["guest_ids"] == [knocked["guest_id"]]
    async with http_client(app, address="192.0.2.37") as phone:
        state = await phone.get("/api/v1/guest/recording", headers=as_guest(knocked["guest_token"]))
    assert state.json() == {"recording": True, "asked": True}


async def test_a_guest_who_agreed_on_the_link_page_is_not_asked_again(app, host):
    meeting_id = await link_meeting(host)
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"recording": True})
    started = await host.post(
        f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": "video/webm"}
    )
    assert started.status_code == 201, started.text
    knocked = await knock(
        app, await new_link(host, meeting_id), "192.0.2.38", agree=("camera", "recording")
    )
    await answer(host, meeting_id, knocked["guest_id"], "admit")
    kinds = [e["type"] for e in (await events(host, meeting_id))]
    assert "recording.consent_requested" not in kinds
    async with http_client(app, address="192.0.2.38") as phone:
        state = await phone.get("/api/v1/guest/recording", headers=as_guest(knocked["guest_token"]))
    assert state.json() == {"recording": True, "asked": False}


async def test_a_waiting_page_left_open_holds_a_lease_and_an_abandoned_one_is_given_up(
    app, host, settings
):
    meeting_id = await link_meeting(host)
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.39", name="佐藤")
    async with serving(app) as served, connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": knocked["guest_token"]}))
        await socket.send(json.dumps({"type": "ping"}))
        await next_message(socket, "pong")
        async with services(app).db() as db:
            held = await db.scalar(
                select(PresenceLease.holder_id).where(PresenceLease.role == presence.KNOCK)
            )
        assert held == knocked["guest_id"]
    # The page closed (or its phone went to sleep) and never came back.
    t0 = utcnow() + timedelta(minutes=1)
    lease = await services(app).presence.join(
        meeting_id, presence.KNOCK, knocked["guest_id"], now=t0
    )
    grace = settings.guest_presence_grace
    await services(app).presence.leave(lease, grace, now=t0)
    await presence.reap(app, now=t0 + timedelta(seconds=grace - 1))
    assert [g["name"] for g in (await guest_list(host, meeting_id))["waiting"]] == ["佐藤"]

    await presence.reap(app, now=t0 + timedelta(seconds=grace + 1))

    assert (await guest_list(host, meeting_id))["waiting"] == []
    assert (await host.get("/api/v1/knocks")).json()["knocks"] == []
    assert (await events(host, meeting_id))[-1]["type"] == "knock.left"
    await presence.reap(app, now=t0 + timedelta(hours=2))
    async with services(app).db() as db:
        assert (await db.get(Meeting, meeting_id)).state == "ended"


async def test_the_record_names_a_waiting_guest_who_agreed_but_was_never_let_in(app, host):
    meeting_id = await link_meeting(host)
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"recording": True})
    turned_away = await knock(
        app, await new_link(host, meeting_id), "192.0.2.40", agree=("camera", "recording")
    )
    await answer(host, meeting_id, turned_away["guest_id"], "refuse")
    let_in = await knock(
        app, await new_link(host, meeting_id), "192.0.2.41", agree=("camera", "recording")
    )
    await answer(host, meeting_id, let_in["guest_id"], "admit")
    started = await host.post(
        f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": "video/webm"}
    )
    assert started.status_code == 201, started.text
    await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})

    page = (await host.get(f"/meetings/{meeting_id}")).text
    export = await host.get(f"/meetings/{meeting_id}/record.zip")

    assert "None" not in page
    assert "待機室のお客様（入室なし） 録画に同意（参加リンク）" in page
    assert "お客様 1 録画に同意（参加リンク）" in page
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        data = json.loads(archive.read("record.json"))
    assert [a["guest_n"] for a in data["recordings"][0]["agreed"]] == [1]
    by_guest = {(c["guest_id"], c["kind"]): c["guest_n"] for c in data["consents"]}
    assert by_guest[(turned_away["guest_id"], "recording")] is None
    assert by_guest[(let_in["guest_id"], "recording")] == 1


async def test_an_sms_for_a_prepared_meeting_whose_link_expired_is_refused(app, host):
    made = await prepare(host, valid_days=1)
    async with services(app).db.begin() as db:
        await db.execute(
            update(JoinLink)
            .where(JoinLink.meeting_id == made["meeting"]["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )

    sent = await host.post(
        f"/api/v1/meetings/{made['meeting']['id']}/sms", json={"phone": "090-1234-5678"}
    )

    assert sent.status_code == 410
    assert sent.json()["error"]["code"] == "prepared_link_expired"
    assert "新しくミーティングを準備" in sent.json()["error"]["message"]
    async with services(app).db() as db:
        made_links = list(
            await db.scalars(select(JoinLink).where(JoinLink.meeting_id == made["meeting"]["id"]))
        )
    assert len(made_links) == 1  # no link made already expired
