"""Join by SMS or QR through the API: the outbox, Twilio (a local fake the
real ``twilio`` client talks to), status callbacks, limits and links."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from twilio.request_validator import RequestValidator

from server.accounts import users
from server.storage.database import create_engine, migrate
from server.web.app import create_app
from server.web.services import services
from tests.conftest import (
    PASSWORD,
    csrf_token,
    empty_database,
    http_client,
    log_in,
    test_settings,
)
from tests.fake_twilio import FakeTwilio

PUBLIC_URL = "https://support.example.jp"
MOBILE = "090-1234-5678"
MOBILE_E164 = "+819012345678"
CALLBACK = f"{PUBLIC_URL}/sms/status"
# Where the test clients send requests: what a proxy in front would forward to.
SERVER = "https://testserver"


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio("AC" + secrets.token_hex(16), secrets.token_hex(16)).start()
    yield fake
    fake.stop()


async def started_app(settings):
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    await migrate(engine)
    await engine.dispose()
    return create_app(settings)


@pytest.fixture
def twilio_overrides(fake_twilio) -> dict:
    return {
        "twilio_account_sid": fake_twilio.account_sid,
        "twilio_auth_token": fake_twilio.auth_token,
        "twilio_from": "+15005550006",
        "twilio_api_base": fake_twilio.url,
        "public_url": PUBLIC_URL,
    }


@pytest.fixture
def overrides() -> dict:
    """Settings a test changes (e.g. tighter limits); Twilio is added by ``twilio``."""
    return {}


@pytest.fixture(params=["outbox", "twilio"])
def mode(request) -> str:
    return request.param


@pytest.fixture
async def sms_app(tmp_path: Path, database_url: str, mode, overrides, request):
    extra = dict(request.getfixturevalue("twilio_overrides")) if mode == "twilio" else {}
    extra.update(overrides)
    application = await started_app(test_settings(tmp_path / "data", database_url, **extra))
    async with application.router.lifespan_context(application):
        yield application


@contextlib.asynccontextmanager
async def console(app, username: str, role: str = "host"):
    """A console user, logged in, making API calls with their session."""
    async with services(app).db.begin() as db:
        await users.create_user(
            db, services(app).passwords, username=username, password=PASSWORD, role=role
        )
    # https: with a public https URL the session cookie is Secure.
    async with http_client(app, base_url=SERVER) as client:
        await log_in(client, username)
        client.headers["x-csrf-token"] = await csrf_token(client)
        yield client


@pytest.fixture
async def host(sms_app):
    async with console(sms_app, "tanaka") as client:
        yield client


@pytest.fixture
async def guest(sms_app):
    async with http_client(sms_app, address="192.0.2.44", base_url=SERVER) as client:
        yield client


def token_of(link: str) -> str:
    return urlsplit(link).path.rsplit("/", 1)[1]


async def events(host, meeting_id: int) -> list[dict]:
    return (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]


# -- starting a meeting by SMS -------------------------------------------------


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_in_outbox_mode_the_message_waits_in_the_outbox_with_its_link(host, sms_app):
    started = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    assert started.status_code == 201, started.text
    meeting, sms = started.json()["meeting"], started.json()["sms"]
    assert meeting["state"] == "waiting"
    assert meeting["source"] == "link"
    assert sms["to"] == "090-****-5678"
    assert sms["provider"] == "outbox"
    assert sms["status"] == "outbox"
    assert sms["link"].startswith("https://testserver/j/")
    assert sms["link"] in sms["body"]
    assert "つなぐ" in sms["body"]  # who it is from
    outbox = (await host.get("/api/v1/sms/outbox")).json()
    assert outbox["mode"] == "outbox"
    assert [m["id"] for m in outbox["messages"]] == [sms["id"]]
    page = await host.get("/outbox")
    assert sms["link"] in page.text
    assert "送信箱モード" in page.text
    dashboard = await host.get("/")
    assert "送信箱モード" in dashboard.text
    async with console(sms_app, "suzuki") as other:
        assert (await other.get("/api/v1/sms/outbox")).json()["messages"] == []
    async with console(sms_app, "boss", role="admin") as admin:
        assert len((await admin.get("/api/v1/sms/outbox")).json()["messages"]) == 1


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
# Nothing on the way to Twilio is deprecated (aiohttp's BasicAuth was).
@pytest.mark.filterwarnings("error::DeprecationWarning")
async def test_twilio_receives_to_from_body_and_the_status_callback(host, fake_twilio):
    started = await host.post("/api/v1/meetings/by-link", json={"phone": "+81 90 1234 5678"})

    assert started.status_code == 201, started.text
    sms = started.json()["sms"]
    assert sms["provider"] == "twilio"
    assert sms["status"] == "queued"
    [sent] = fake_twilio.requests
    assert sent["To"] == MOBILE_E164
    assert sent["From"] == "+15005550006"
    assert "MessagingServiceSid" not in sent
    assert sent["StatusCallback"] == CALLBACK
    assert sent["Body"] == sms["body"]
    assert f"{PUBLIC_URL}/j/" in sent["Body"]


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize(
    "overrides", [{"twilio_messaging_service_sid": "MG" + "1" * 32, "twilio_from": ""}]
)
async def test_a_messaging_service_is_named_instead_of_a_from_number(host, fake_twilio):
    started = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    assert started.status_code == 201, started.text
    [sent] = fake_twilio.requests
    assert sent["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in sent


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize(
    ("code", "words"),
    [(21211, "電話番号が正しくありません"), (21614, "携帯電話の番号ではありません")],
)
async def test_a_number_twilio_refuses_gets_a_plain_error_and_the_meeting_is_closed(
    host, fake_twilio, code, words
):
    fake_twilio.refuse[MOBILE_E164] = (400, code, f"Twilio says {code}")

    refused = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "sms_refused"
    assert words in error["message"]
    assert error["details"] == [{"provider_code": str(code)}]
    live = (await host.get("/api/v1/meetings?state=live")).json()["meetings"]
    assert live == []  # nobody could ever join it
    [meeting] = (await host.get("/api/v1/meetings")).json()["meetings"]
    assert meeting["ended_by"] == "system"
    [message] = (await host.get(f"/api/v1/meetings/{meeting['id']}/sms")).json()["messages"]
    assert message["status"] == "failed"
    assert message["error_code"] == str(code)
    assert [h["status"] for h in message["history"]] == ["created", "failed"]


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_resending_from_a_meeting_after_a_refusal_keeps_the_meeting(host, fake_twilio):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    fake_twilio.refuse[MOBILE_E164] = (400, 21614, "not a mobile")

    refused = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})
    fixed = await host.post(
        f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": "080-1111-2222"}
    )

    assert refused.status_code == 422
    assert fixed.status_code == 201
    assert (await host.get(f"/api/v1/meetings/{meeting['id']}")).json()["state"] == "waiting"
    statuses = [
        m["status"]
        for m in (await host.get(f"/api/v1/meetings/{meeting['id']}/sms")).json()["messages"]
    ]
    assert statuses == ["failed", "queued"]


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_twilio_down_is_a_502_and_the_host_may_send_again_at_once(host, fake_twilio):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    fake_twilio.outage = 503

    down = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})
    fake_twilio.outage = None
    again = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})

    assert down.status_code == 502
    assert down.json()["error"]["code"] == "sms_unavailable"
    assert again.status_code == 201  # not refused as a duplicate of the failed one


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("03-1234-5678", "phone_not_mobile"),
        ("050-1234-5678", "phone_not_mobile"),
        ("090-1234", "invalid_phone"),
        ("+1 415 555 2671", "phone_country_not_allowed"),
        ("not a number", "invalid_phone"),
    ],
)
async def test_numbers_that_cannot_take_an_sms_cost_nothing(host, fake_twilio, typed, code):
    refused = await host.post("/api/v1/meetings/by-link", json={"phone": typed})

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == code
    assert fake_twilio.requests == []
    assert (await host.get("/api/v1/meetings")).json()["meetings"] == []


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
@pytest.mark.parametrize(
    "body",
    [b"{", b'{"phone": 5}', b'{"phone": "090-1234-5678", "extra": 1}', b'{"phone": "09\\u0000"}'],
)
async def test_garbage_is_a_4xx(host, body):
    response = await host.post(
        "/api/v1/meetings/by-link", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in ("invalid_json", "invalid_request")


# -- limits ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_same_number_for_the_same_meeting_within_a_minute_is_a_duplicate(host):
    meeting = (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).json()[
        "meeting"
    ]
    again = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": "09012345678"})
    other = await host.post(
        f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": "080-1111-2222"}
    )
    double_click = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "sms_duplicate"
    assert other.status_code == 201
    assert double_click.status_code == 409
    assert len((await host.get("/api/v1/meetings?state=live")).json()["meetings"]) == 1


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_one_number_gets_at_most_three_messages_in_ten_minutes(host, sms_app):
    for _ in range(3):
        meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
        sent = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})
        assert sent.status_code == 201
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]

    fourth = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})
    async with console(sms_app, "suzuki") as colleague:
        theirs = await colleague.post("/api/v1/meetings/by-link", json={"phone": MOBILE})
    elsewhere = await host.post(
        f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": "080-1111-2222"}
    )

    assert fourth.status_code == 429
    assert fourth.json()["error"]["code"] == "too_many_sms_to_number"
    assert 0 < int(fourth.headers["retry-after"]) <= 600
    assert theirs.status_code == 429  # per number, whoever sends
    assert elsewhere.status_code == 201


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
@pytest.mark.parametrize(
    "overrides", [{"sms_per_host_per_hour": 2, "sms_per_number_per_10_minutes": 1}]
)
async def test_a_host_has_an_hourly_allowance(host, sms_app):
    for phone in ("090-1111-0001", "090-1111-0002"):
        assert (
            await host.post("/api/v1/meetings/by-link", json={"phone": phone})
        ).status_code == 201

    third = await host.post("/api/v1/meetings/by-link", json={"phone": "090-1111-0003"})
    async with console(sms_app, "suzuki") as colleague:
        theirs = await colleague.post("/api/v1/meetings/by-link", json={"phone": "090-1111-0003"})

    assert third.status_code == 429
    assert third.json()["error"]["code"] == "too_many_sms_from_host"
    assert theirs.status_code == 201  # the refusal did not use up the number's allowance


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
@pytest.mark.parametrize("overrides", [{"sms_per_hour": 2}])
async def test_the_whole_server_has_an_hourly_allowance(host, sms_app):
    async with console(sms_app, "suzuki") as colleague:
        assert (
            await host.post("/api/v1/meetings/by-link", json={"phone": "090-1111-0001"})
        ).status_code == 201
        assert (
            await colleague.post("/api/v1/meetings/by-link", json={"phone": "090-1111-0002"})
        ).status_code == 201
        third = await colleague.post("/api/v1/meetings/by-link", json={"phone": "090-1111-0003"})

    assert third.status_code == 429
    assert third.json()["error"]["code"] == "too_many_sms"
    assert "管理者" in third.json()["error"]["message"]


# -- status callbacks ------------------------------------------------------------


def signed(auth_token: str, params: dict, url: str = CALLBACK) -> dict:
    return {"x-twilio-signature": RequestValidator(auth_token).compute_signature(url, params)}


async def callback(client: httpx.AsyncClient, params: dict, headers: dict) -> httpx.Response:
    return await client.post("/sms/status", data=params, headers=headers)


@pytest.fixture
async def sent_sms(host, fake_twilio) -> dict:
    started = (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).json()
    return started["sms"]


def status_params(fake_twilio, sid: str, status: str, **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": fake_twilio.account_sid,
        "To": MOBILE_E164,
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        **extra,
    }


async def provider_id(sms_app, message_id: int) -> str:
    from server.storage.models import SmsMessage

    async with services(sms_app).db() as db:
        message = await db.get(SmsMessage, message_id)
        return message.provider_id


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_signed_callbacks_move_the_message_on_and_the_host_hears_of_each(
    host, guest, sms_app, fake_twilio, sent_sms
):
    sid = await provider_id(sms_app, sent_sms["id"])
    token = fake_twilio.auth_token
    for status in ("sent", "undelivered"):
        params = status_params(fake_twilio, sid, status)
        if status == "undelivered":
            params["ErrorCode"] = "30003"
        response = await callback(guest, params, signed(token, params))
        assert response.status_code == 204

    late = status_params(fake_twilio, sid, "sent")  # out of order: must not go back
    assert (await callback(guest, late, signed(token, late))).status_code == 204

    meeting_id = sent_sms["meeting_id"]
    [message] = (await host.get(f"/api/v1/meetings/{meeting_id}/sms")).json()["messages"]
    assert message["status"] == "undelivered"
    assert message["error_code"] == "30003"
    assert [h["status"] for h in message["history"]] == [
        "created",
        "queued",
        "sent",
        "undelivered",
        "sent",
    ]
    pushed = [
        e["payload"]["status"] for e in await events(host, meeting_id) if e["type"] == "sms.status"
    ]
    assert pushed == ["queued", "sent", "undelivered", "undelivered"]
    page = await host.get(f"/meetings/{meeting_id}")
    assert '"sms.error.30003"' in page.text  # the view has the words to explain it


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_a_repeated_callback_changes_nothing(host, guest, sms_app, fake_twilio, sent_sms):
    sid = await provider_id(sms_app, sent_sms["id"])
    params = status_params(fake_twilio, sid, "delivered")
    for _ in range(2):
        assert (
            await callback(guest, params, signed(fake_twilio.auth_token, params))
        ).status_code == 204

    [message] = (await host.get(f"/api/v1/meetings/{sent_sms['meeting_id']}/sms")).json()[
        "messages"
    ]
    assert [h["status"] for h in message["history"]] == ["created", "queued", "delivered"]


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize("forgery", ["tampered", "wrong_url", "missing", "other_token"])
async def test_unsigned_or_forged_callbacks_are_refused_and_change_nothing(
    host, guest, sms_app, fake_twilio, sent_sms, forgery
):
    sid = await provider_id(sms_app, sent_sms["id"])
    params = status_params(fake_twilio, sid, "delivered")
    headers = signed(fake_twilio.auth_token, params)
    if forgery == "tampered":
        params = {**params, "MessageStatus": "failed"}
    elif forgery == "wrong_url":
        headers = signed(fake_twilio.auth_token, params, url="https://evil.example/sms/status")
    elif forgery == "missing":
        headers = {}
    else:
        headers = signed("not-our-token", params)

    response = await callback(guest, params, headers)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    [message] = (await host.get(f"/api/v1/meetings/{sent_sms['meeting_id']}/sms")).json()[
        "messages"
    ]
    assert message["status"] == "queued"


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_a_callback_reaching_us_through_a_proxy_is_checked_against_the_public_url(
    guest, sms_app, fake_twilio, sent_sms, host
):
    # The request arrives as https://testserver/sms/status (what the proxy
    # forwards to); Twilio signed the public URL it was given.
    sid = await provider_id(sms_app, sent_sms["id"])
    params = status_params(fake_twilio, sid, "delivered")
    assert (
        await callback(guest, params, signed(fake_twilio.auth_token, params))
    ).status_code == 204
    signed_local = signed(fake_twilio.auth_token, params, url="https://testserver/sms/status")
    assert (await callback(guest, params, signed_local)).status_code == 204  # as seen by us


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_without_twilio_there_is_nothing_to_call_back(guest):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    response = await callback(guest, params, signed("anything", params))
    assert response.status_code == 403


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_oversized_or_non_form_callbacks_are_refused(guest, fake_twilio):
    big = {"MessageSid": "SM1", "Body": "x" * 20000}
    assert (await callback(guest, big, signed(fake_twilio.auth_token, big))).status_code == 413
    as_json = await guest.post(
        "/sms/status", json={"MessageSid": "SM1"}, headers={"x-twilio-signature": "x"}
    )
    assert as_json.status_code == 415


# -- the guest's link ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_guest_taps_the_link_and_is_in_that_meeting_without_a_number(host, guest):
    started = (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).json()
    link, meeting_id = started["sms"]["link"], started["meeting"]["id"]

    page = await guest.get(urlsplit(link).path)
    joined = await guest.post("/api/v1/guest/links", json={"token": token_of(link)})

    assert page.status_code == 200
    assert "tanaka" in page.text  # who they are joining
    assert joined.status_code == 201, joined.text
    assert joined.json()["meeting_id"] == meeting_id
    guest_token = joined.json()["guest_token"]
    session = (
        await guest.get("/api/v1/guest/session", headers={"authorization": f"Bearer {guest_token}"})
    ).json()
    assert session["status"] == "connected"
    assert session["meeting_id"] == meeting_id
    meeting = (await host.get(f"/api/v1/meetings/{meeting_id}")).json()
    assert meeting["state"] == "active"
    assert meeting["started_at"] is not None
    types = [e["type"] for e in await events(host, meeting_id)]
    assert types == ["meeting.created", "sms.status", "meeting.started"]

    # Tapping it again in the same browser keeps the same guest.
    again = await guest.post(
        "/api/v1/guest/links",
        json={"token": token_of(link)},
        headers={"authorization": f"Bearer {guest_token}"},
    )
    assert again.status_code == 201
    assert (await events(host, meeting_id))[-1]["type"] == "meeting.started"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_link_for_an_ended_meeting_says_so_and_what_to_do(host, guest):
    started = (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).json()
    link, meeting_id = started["sms"]["link"], started["meeting"]["id"]
    await host.post(f"/api/v1/meetings/{meeting_id}/end")

    page = await guest.get(urlsplit(link).path)
    joined = await guest.post("/api/v1/guest/links", json={"token": token_of(link)})

    assert page.status_code == 410
    assert "終了" in page.text
    assert 'href="/join"' in page.text
    assert joined.status_code == 409
    assert joined.json()["error"]["code"] == "meeting_ended"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_forged_and_expired_links_get_a_friendly_page(host, guest, sms_app, monkeypatch):
    import itsdangerous.timed

    from sms.links import join_token, signed_link_id

    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    made = (await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()
    link_id = signed_link_id(services(sms_app).settings.secret_key, token_of(made["url"]))
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 31 * 60)
    old = join_token(services(sms_app).settings.secret_key, link_id)
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    forged = join_token("another server's key", link_id)

    expired_page = await guest.get(f"/j/{old}")
    forged_page = await guest.get(f"/j/{forged}")
    expired = await guest.post("/api/v1/guest/links", json={"token": old})
    garbage = await guest.post("/api/v1/guest/links", json={"token": "not-a-token"})

    assert expired_page.status_code == 410
    assert "有効期限" in expired_page.text
    assert forged_page.status_code == 404
    assert 'href="/join"' in forged_page.text
    assert expired.json()["error"]["code"] == "link_expired"
    assert garbage.status_code == 404
    assert garbage.json()["error"]["code"] == "link_invalid"
    assert (await guest.get("/j/" + "a" * 5000)).status_code == 404


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_link_is_useless_for_any_other_meeting(host, guest, sms_app):
    first = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    second = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    link = (await host.post(f"/api/v1/meetings/{first['id']}/links")).json()

    qr_elsewhere = await host.get(
        f"/api/v1/meetings/{second['id']}/link/qr.svg?token={token_of(link['url'])}"
    )
    joined = await guest.post("/api/v1/guest/links", json={"token": token_of(link["url"])})

    assert qr_elsewhere.status_code == 404
    assert joined.json()["meeting_id"] == first["id"]
    assert (await host.get(f"/api/v1/meetings/{second['id']}")).json()["state"] == "waiting"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_host_gets_a_link_and_its_qr_code_and_no_one_else_does(host, sms_app):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]

    made = await host.post(f"/api/v1/meetings/{meeting['id']}/links")
    link = made.json()
    qr = await host.get(link["qr_svg_url"])

    assert made.status_code == 201

    assert link["url"].startswith("https://testserver/j/")
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    async with console(sms_app, "suzuki") as other:
        assert (await other.post(f"/api/v1/meetings/{meeting['id']}/links")).status_code == 404
        assert (await other.get(link["qr_svg_url"])).status_code == 404
        assert (
            await other.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": MOBILE})
        ).status_code == 404


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_links_cannot_be_used_from_another_site(host, guest):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    link = (await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()

    joined = await guest.post(
        "/api/v1/guest/links",
        json={"token": token_of(link["url"])},
        headers={"origin": "https://evil.example"},
    )

    assert joined.status_code == 403
    assert joined.json()["error"]["code"] == "origin_not_allowed"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_join_page_has_a_printable_qr_code(guest):
    page = await guest.get("/join/qr")
    svg = await guest.get("/join/qr.svg")

    assert page.status_code == 200
    assert "https://testserver/join" in page.text
    assert svg.headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_sms_list_shows_what_a_message_says_and_costs(host):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]

    listed = (await host.get(f"/api/v1/meetings/{meeting['id']}/sms")).json()

    assert listed["messages"] == []
    assert listed["segments"] == 2  # Japanese is UCS-2: 70 characters, 67 per part
    # No sample link: one would look usable, and open only "this link cannot be used".
    assert "http" not in listed["preview"] and "/j/" not in listed["preview"]
    assert listed["preview"].endswith("\n［参加用リンク：送信時に作成されます］")


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_the_previewed_sms_is_the_one_sent_with_its_link_in_place(host):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    before = (await host.get(f"/api/v1/meetings/{meeting['id']}/sms")).json()

    sent = await host.post(f"/api/v1/meetings/{meeting['id']}/sms", json={"phone": "090-4000-0001"})

    message = sent.json()
    assert message["link"] in message["body"]
    placeholder = "［参加用リンク：送信時に作成されます］"
    assert message["body"].replace(message["link"], placeholder) == before["preview"]
    assert message["segments"] == before["segments"]


# -- a link admits one phone ----------------------------------------------------


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_link_admits_the_first_phone_only_and_that_phone_again(host, sms_app):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    token = token_of((await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()["url"])
    async with (
        http_client(sms_app, address="192.0.2.1", base_url=SERVER) as phone,
        http_client(sms_app, address="203.0.113.9", base_url=SERVER) as forwarded_to,
    ):
        first = await phone.post("/api/v1/guest/links", json={"token": token})
        guest_token = first.json()["guest_token"]
        again = await phone.post(
            "/api/v1/guest/links",
            json={"token": token},
            headers={"authorization": f"Bearer {guest_token}"},
        )
        stranger = await forwarded_to.post("/api/v1/guest/links", json={"token": token})
        # A fresh link from the host lets the guest in on a new phone.
        fresh = token_of((await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()["url"])
        new_phone = await forwarded_to.post("/api/v1/guest/links", json={"token": fresh})

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json()["meeting_id"] == meeting["id"]
    assert stranger.status_code == 409
    assert stranger.json()["error"]["code"] == "link_used"
    assert "別の端末" in stranger.json()["error"]["message"]
    assert new_phone.status_code == 201
    types = [e["type"] for e in await events(host, meeting["id"])]
    assert types.count("meeting.started") == 1
    assert types.count("guest.joined") == 1  # the new phone, and nobody else


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_two_phones_tapping_one_link_at_once_let_in_exactly_one(host, sms_app):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    token = token_of((await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()["url"])
    results = []

    async def tap(address: str) -> None:
        async with http_client(sms_app, address=address, base_url=SERVER) as phone:
            results.append(
                (await phone.post("/api/v1/guest/links", json={"token": token})).status_code
            )

    async with anyio.create_task_group() as group:
        for n in range(6):
            group.start_soon(tap, f"192.0.2.{n + 10}")

    assert sorted(results) == [201, 409, 409, 409, 409, 409]


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_guest_in_the_meeting_gets_back_in_after_the_link_expired(
    host, guest, sms_app, monkeypatch
):
    import itsdangerous.timed

    started = (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).json()
    path = urlsplit(started["sms"]["link"]).path
    joined = await guest.post("/api/v1/guest/links", json={"token": token_of(path)})
    assert joined.status_code == 201
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 31 * 60)

    page = await guest.get(path)

    # Too old to let anyone new in, but the page still loads its script, so
    # the phone already in the meeting (its token kept) carries on.
    assert page.status_code == 410
    assert "/static/join.js" in page.text
    assert f'"meeting_id": {started["meeting"]["id"]}' in page.text
    session = await guest.get(
        "/api/v1/guest/session",
        headers={"authorization": f"Bearer {joined.json()['guest_token']}"},
    )
    assert session.json()["status"] == "connected"


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_meeting_waiting_for_a_link_starts_when_a_guest_comes_by_number(host, guest):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    issued = (await guest.post("/api/v1/guest/numbers", json={})).json()

    attached = await host.post(
        f"/api/v1/meetings/{meeting['id']}/guests", json={"number": issued["number"]}
    )

    assert attached.status_code == 200, attached.text
    assert attached.json()["state"] == "active"
    assert attached.json()["started_at"] is not None
    types = [e["type"] for e in await events(host, meeting["id"])]
    assert types == ["meeting.created", "meeting.started", "guest.attached"]


@pytest.mark.parametrize("mode", ["outbox"], indirect=True)
async def test_a_guest_cannot_join_a_meeting_ended_a_moment_before(host, guest):
    meeting = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    token = token_of((await host.post(f"/api/v1/meetings/{meeting['id']}/links")).json()["url"])
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    joined = await guest.post("/api/v1/guest/links", json={"token": token})

    assert joined.status_code == 409
    assert joined.json()["error"]["code"] == "meeting_ended"
    assert [e["type"] for e in await events(host, meeting["id"])][-1] == "meeting.ended"


# -- Twilio misbehaving ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_a_twilio_that_never_answers_is_given_up_on_and_its_counts_kept(
    host, fake_twilio, monkeypatch
):
    from sms import senders

    monkeypatch.setattr(senders, "TWILIO_TIMEOUT", 0.5)
    fake_twilio.stall = True

    with anyio.fail_after(10):
        stalled = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})
    fake_twilio.stall = False
    retried = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    # Twilio got the request and may have sent it: the host is told so, the
    # meeting waits for the guest, and the limits count it as sent.
    assert stalled.status_code == 502
    assert stalled.json()["error"]["code"] == "sms_uncertain"
    meeting_id = stalled.json()["error"]["details"][0]["meeting_id"]
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["state"] == "waiting"
    [message] = (await host.get(f"/api/v1/meetings/{meeting_id}/sms")).json()["messages"]
    assert (message["status"], message["error_code"]) == ("unknown", "uncertain")
    assert retried.status_code == 409  # within the minute: a duplicate
    assert len(fake_twilio.requests) == 1


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize("overrides", [{"sms_per_host_per_hour": 1}])
async def test_an_outage_does_not_use_up_anyones_allowance(host, fake_twilio):
    fake_twilio.outage = 503
    for _ in range(3):
        down = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})
        assert down.status_code == 502
    fake_twilio.outage = None

    assert (await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})).status_code == 201


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_a_busy_twilio_is_temporary_not_a_refusal(host, fake_twilio):
    fake_twilio.outage = 429

    busy = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})

    assert busy.status_code == 502
    assert busy.json()["error"]["code"] == "sms_unavailable"


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
@pytest.mark.parametrize("host_header", ["x:abc", "x:99999", "[::1"])
async def test_a_callback_with_an_odd_host_header_is_refused_not_a_500(guest, host_header):
    response = await guest.post(
        "/sms/status",
        data={"MessageSid": "SM1", "MessageStatus": "delivered"},
        headers={"x-twilio-signature": "abc", "host": host_header},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("mode", ["twilio"], indirect=True)
async def test_status_reports_arriving_together_never_move_a_message_backwards(
    host, guest, sms_app, fake_twilio, sent_sms
):
    sid = await provider_id(sms_app, sent_sms["id"])
    reports = [status_params(fake_twilio, sid, s) for s in ("sending", "sent", "delivered")]

    async with anyio.create_task_group() as group:
        for params in reports:
            group.start_soon(callback, guest, params, signed(fake_twilio.auth_token, params))

    [message] = (await host.get(f"/api/v1/meetings/{sent_sms['meeting_id']}/sms")).json()[
        "messages"
    ]
    assert message["status"] == "delivered"
    assert len(message["history"]) == 5
