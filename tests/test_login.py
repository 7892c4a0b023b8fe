"""Logging in and out of the console, and what protects it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from server.accounts import login_sessions
from server.storage.models import LoginSession, utcnow
from server.web.services import services
from tests.conftest import PASSWORD, csrf_token, http_client, log_in


async def test_host_logs_in_and_sees_the_console(client, make_user):
    await make_user("tanaka")

    response = await log_in(client, "Tanaka")  # usernames are not case-sensitive

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "tsunagu_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here
    home = await client.get("/")
    assert home.status_code == 200
    assert "tanaka さん、こんにちは" in home.text
    assert 'action="/logout"' in home.text


async def test_console_pages_send_a_person_to_login_and_back(client, make_user):
    await make_user("tanaka")
    first = await client.get("/account")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/account"

    response = await client.post(
        "/login", data={"username": "tanaka", "password": PASSWORD, "next": "/account"}
    )
    assert response.headers["location"] == "/account"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
async def test_login_never_redirects_off_site(client, make_user, target):
    await make_user("tanaka")
    response = await client.post(
        "/login", data={"username": "tanaka", "password": PASSWORD, "next": target}
    )
    assert response.headers["location"] == "/"


async def test_wrong_password_is_refused_with_a_message(client, make_user):
    await make_user("tanaka")

    response = await log_in(client, "tanaka", "not the password")

    assert response.status_code == 401
    assert "ユーザー名またはパスワードが違います。" in response.text
    assert "tsunagu_session" not in response.headers.get("set-cookie", "")
    assert (await client.get("/")).status_code == 303


async def test_unknown_username_gets_the_same_answer_as_a_wrong_password(client, make_user):
    await make_user("tanaka")
    wrong_password = await log_in(client, "tanaka", "not the password")
    unknown_user = await log_in(client, "suzuki", "not the password")
    assert unknown_user.status_code == wrong_password.status_code == 401
    assert "ユーザー名またはパスワードが違います。" in unknown_user.text


async def test_repeated_failures_lock_the_account_even_for_the_right_password(app, make_user):
    await make_user("tanaka")
    await make_user("suzuki")
    limit = services(app).settings.login_attempts_per_account
    async with http_client(app, address="203.0.113.1") as attacker:
        for _ in range(limit):
            assert (await log_in(attacker, "tanaka", "guess")).status_code == 401
        locked = await log_in(attacker, "tanaka")

    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= services(app).settings.login_window_seconds
    assert "ログインの失敗が続いたため" in locked.text
    assert "15 分後" in locked.text
    # The lock is on the account: from another address it is still locked...
    async with http_client(app, address="203.0.113.2") as owner:
        assert (await log_in(owner, "tanaka")).status_code == 429
        # ...while other accounts are unaffected.
        assert (await log_in(owner, "suzuki")).status_code == 303


async def test_one_address_guessing_many_accounts_is_locked_out(app, make_user):
    await make_user("tanaka")
    limit = services(app).settings.login_attempts_per_address
    async with http_client(app, address="203.0.113.9") as attacker:
        for number in range(limit):
            assert (await log_in(attacker, f"user{number}", "guess")).status_code == 401
        assert (await log_in(attacker, "tanaka")).status_code == 429
    async with http_client(app, address="203.0.113.10") as someone_else:
        assert (await log_in(someone_else, "tanaka")).status_code == 303


async def test_console_is_in_english_when_the_browser_prefers_it(client):
    page = await client.get("/login", headers={"accept-language": "en-US,en;q=0.9,ja;q=0.5"})
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text
    japanese = await client.get("/login", headers={"accept-language": "ja,en;q=0.8"})
    assert '<html lang="ja">' in japanese.text


async def test_language_switch_is_remembered(client):
    switched = await client.get("/lang/en?next=/login")
    assert switched.headers["location"] == "/login"
    page = await client.get("/login", headers={"accept-language": "ja"})
    assert '<html lang="en">' in page.text


async def test_logout_really_ends_the_session_and_the_old_cookie_is_dead(app, client, make_user):
    await make_user("tanaka")
    await log_in(client, "tanaka")
    old_cookie = client.cookies["tsunagu_session"]
    token = await csrf_token(client)

    response = await client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    async with http_client(app) as replay:
        replay.cookies.set("tsunagu_session", old_cookie)
        assert (await replay.get("/")).status_code == 303
        assert (await replay.get("/api/v1/me")).json()["error"]["code"] == "not_authenticated"
    login_page = await client.get("/login")
    assert "ログアウトしました。" in login_page.text


async def test_log_out_everywhere_ends_every_device(app, make_user):
    await make_user("tanaka")
    async with http_client(app) as laptop, http_client(app) as phone:
        await log_in(laptop, "tanaka")
        await log_in(phone, "tanaka")
        token = await csrf_token(laptop, "/account")

        await laptop.post("/account/sessions/end-all", data={"csrf_token": token})

        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await laptop.get("/api/v1/me")).status_code == 401


async def test_password_change_logs_out_other_devices_but_not_this_one(app, make_user):
    await make_user("tanaka")
    async with http_client(app) as laptop, http_client(app) as phone:
        await log_in(laptop, "tanaka")
        await log_in(phone, "tanaka")
        token = await csrf_token(laptop, "/account")
        form = {
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        }
        assert (await laptop.post("/account/password", data=form)).status_code == 303

        assert (await laptop.get("/api/v1/me")).status_code == 200
        assert (await phone.get("/api/v1/me")).status_code == 401
    async with http_client(app) as fresh:
        assert (await log_in(fresh, "tanaka")).status_code == 401
        assert (await log_in(fresh, "tanaka", "a brand new secret")).status_code == 303


async def test_password_change_needs_the_current_password(admin_client):
    token = await csrf_token(admin_client, "/account")
    form = {
        "csrf_token": token,
        "current_password": "wrong",
        "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
    }
    response = await admin_client.post("/account/password", data=form)
    assert response.status_code == 422
    assert "現在のパスワードが違います。" in response.text


async def test_form_post_without_csrf_token_is_refused_and_changes_nothing(admin_client):
    response = await admin_client.post("/account/tokens", data={"name": "sneaky"})
    assert response.status_code == 403
    assert "ページの有効期限が切れました" in response.text
    assert (await admin_client.get("/api/v1/tokens")).json()["tokens"] == []


async def test_form_post_from_another_origin_is_refused(admin_client):
    token = await csrf_token(admin_client, "/account")
    response = await admin_client.post(
        "/account/tokens",
        data={"name": "sneaky", "csrf_token": token},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert (await admin_client.get("/api/v1/tokens")).json()["tokens"] == []


async def test_login_form_posted_from_another_site_is_refused(client, make_user):
    await make_user("tanaka")
    response = await client.post(
        "/login",
        data={"username": "tanaka", "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "tsunagu_session" not in response.headers.get("set-cookie", "")


async def test_api_call_with_the_session_cookie_needs_the_csrf_header(admin_client):
    body = {"name": "crm"}
    refused = await admin_client.post("/api/v1/tokens", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"

    token = await csrf_token(admin_client)
    accepted = await admin_client.post("/api/v1/tokens", json=body, headers={"x-csrf-token": token})
    assert accepted.status_code == 201


async def test_session_cookie_is_secure_when_served_over_https(app, make_user):
    await make_user("tanaka")
    async with http_client(app, base_url="https://support.example") as client:
        response = await log_in(client, "tanaka")
    assert "Secure" in response.headers["set-cookie"]


async def test_disabling_a_host_ends_their_session_at_once(app, admin_client, make_user):
    host = await make_user("tanaka")
    async with http_client(app) as host_browser:
        await log_in(host_browser, "tanaka")
        assert (await host_browser.get("/api/v1/me")).status_code == 200
        token = await csrf_token(admin_client, "/admin/users")

        changed = await admin_client.post(
            f"/admin/users/{host.id}", data={"csrf_token": token, "action": "disable"}
        )

        assert changed.status_code == 303
        assert (await host_browser.get("/")).status_code == 303
        again = await log_in(host_browser, "tanaka")
        assert again.status_code == 403
        assert "このアカウントは無効になっています" in again.text


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari / iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0 Safari/537.36 Edg/124.0",
            "Edge / Windows",
        ),
        ("curl/8.5.0", ""),
    ],
)
async def test_account_page_names_each_logged_in_device(app, make_user, user_agent, label):
    await make_user("tanaka")
    async with http_client(app) as device:
        device.headers["user-agent"] = user_agent
        await log_in(device, "tanaka")
        page = await device.get("/account")
    row = page.text.split('id="sessions"')[1]
    assert f'>{label or "—"} <span class="badge">この端末</span>' in row


async def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_the_limit(app, make_user):
    await make_user("tanaka")
    limit = services(app).settings.login_attempts_per_account
    async with http_client(app, address="203.0.113.1") as attacker:
        guesses = [log_in(attacker, "tanaka", f"guess {n}") for n in range(30)]
        answers = await asyncio.gather(*guesses, log_in(attacker, "tanaka"))
    statuses = [answer.status_code for answer in answers]
    checked = [status for status in statuses if status in (303, 401)]
    assert len(checked) <= limit, statuses
    assert statuses[-1] == 429  # the right password, sent after the burst, is not tried


async def test_rotating_addresses_within_one_ipv6_network_does_not_escape_the_limit(app, make_user):
    await make_user("tanaka")
    limit = services(app).settings.login_attempts_per_address
    for number in range(limit):
        async with http_client(app, address=f"2001:db8:1:2::{number + 1:x}") as attacker:
            await log_in(attacker, f"user{number}", "guess")
    async with http_client(app, address="2001:db8:1:2::ffff") as attacker:
        assert (await log_in(attacker, "tanaka")).status_code == 429
    async with http_client(app, address="2001:db8:1:3::1") as neighbour:
        assert (await log_in(neighbour, "tanaka")).status_code == 303


async def test_a_blocked_address_adds_nothing_more_to_the_limiter(app, make_user):
    """Guessing with ever new usernames from a blocked address must not make
    the limiter's own table grow (it lives in the server's memory)."""
    limit = services(app).settings.login_attempts_per_address
    async with http_client(app, address="203.0.113.9") as attacker:
        for number in range(limit):
            await log_in(attacker, f"user{number}", "guess")
        size = len(services(app).rate_limiter._windows)
        for number in range(limit, limit + 50):
            assert (await log_in(attacker, f"user{number}", "guess")).status_code == 429
    assert len(services(app).rate_limiter._windows) == size


async def test_guessing_through_the_password_change_form_is_limited(app, admin_client):
    limit = services(app).settings.login_attempts_per_account
    token = await csrf_token(admin_client, "/account")
    form = {
        "csrf_token": token,
        "current_password": "guess",
        "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
    }
    for _ in range(limit):
        assert (await admin_client.post("/account/password", data=form)).status_code == 422
    locked = await admin_client.post(
        "/account/password", data={**form, "current_password": PASSWORD}
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "ログインの失敗が続いたため" in locked.text


async def test_after_a_wrong_password_the_login_still_returns_to_the_page_asked_for(
    client, make_user
):
    await make_user("tanaka")
    first = await client.post(
        "/login", data={"username": "tanaka", "password": "typo", "next": "/account"}
    )
    assert 'name="next" value="/account"' in first.text
    second = await client.post(
        "/login", data={"username": "tanaka", "password": PASSWORD, "next": "/account"}
    )
    assert second.headers["location"] == "/account"


async def test_logging_in_again_ends_the_previous_session(app, client, make_user):
    await make_user("tanaka")
    await log_in(client, "tanaka")
    first_cookie = client.cookies["tsunagu_session"]
    await log_in(client, "tanaka")
    async with http_client(app) as replay:
        replay.cookies.set("tsunagu_session", first_cookie)
        assert (await replay.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_a_console_in_daily_use_gets_its_cookie_lifetime_renewed(app, client, make_user):
    await make_user("tanaka")
    await log_in(client, "tanaka")
    fresh = await client.get("/api/v1/me")
    assert "set-cookie" not in fresh.headers  # nothing to renew minutes after login

    async with services(app).db.begin() as db:
        await db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(days=3)))
    renewed = await client.get("/")

    cookie = renewed.headers["set-cookie"]
    assert cookie.startswith("tsunagu_session=" + client.cookies["tsunagu_session"])
    assert f"Max-Age={14 * 86400}" in cookie
    assert "HttpOnly" in cookie


async def test_a_session_deleted_while_it_is_being_renewed_is_simply_gone(app, make_user):
    user = await make_user("tanaka")
    async with services(app).db.begin() as db:
        token = await login_sessions.start_session(db, user, days=14, user_agent="", address="")
        await db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    async with services(app).db.begin() as request_db:
        loaded = await request_db.get(LoginSession, login_sessions.token_hash(token))
        assert loaded is not None
        # Meanwhile "log out everywhere" runs in another request.
        async with services(app).db.begin() as other_db:
            await login_sessions.end_all_sessions(other_db, user.id)
        assert await login_sessions.resolve_session(request_db, token, days=14) is None


async def test_control_characters_in_the_login_form_are_an_ordinary_failure(client, make_user):
    await make_user("tanaka")
    response = await log_in(client, "tan\x00aka", "x\x00y")
    assert response.status_code == 401
