"""Admins add and manage host accounts."""

from __future__ import annotations

import re

from tests.conftest import csrf_token, http_client, log_in


async def test_admin_adds_a_host_who_can_then_log_in_with_the_shown_password(app, admin_client):
    token = await csrf_token(admin_client, "/admin/users")

    page = await admin_client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "Sato", "display_name": "佐藤", "role": "host"},
    )

    assert page.status_code == 201
    assert "ユーザー sato を追加しました。" in page.text
    password = re.search(r'id="created-password">([^<]+)<', page.text).group(1)
    async with http_client(app) as host:
        assert (await log_in(host, "sato", password)).status_code == 303
        me = (await host.get("/api/v1/me")).json()
    assert me["role"] == "host"
    assert me["display_name"] == "佐藤"
    assert "created-password" not in (await admin_client.get("/admin/users")).text


async def test_duplicate_usernames_are_refused(admin_client, make_user):
    await make_user("sato")
    token = await csrf_token(admin_client)
    response = await admin_client.post(
        "/api/v1/users",
        json={"username": "SATO", "password": "long enough secret"},
        headers={"x-csrf-token": token},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"
    assert "sato" in response.json()["error"]["message"]


async def test_short_passwords_and_odd_usernames_are_refused_with_reasons(admin_client):
    token = await csrf_token(admin_client)
    short = await admin_client.post(
        "/api/v1/users",
        json={"username": "sato", "password": "short"},
        headers={"x-csrf-token": token},
    )
    assert short.json()["error"]["code"] == "password_too_short"
    assert "10 文字以上" in short.json()["error"]["message"]
    odd = await admin_client.post(
        "/api/v1/users",
        json={"username": "<b>sato</b>", "password": "long enough secret"},
        headers={"x-csrf-token": token},
    )
    assert odd.json()["error"]["code"] == "invalid_username"
    users = (await admin_client.get("/api/v1/users")).json()["users"]
    assert [u["username"] for u in users] == ["boss"]


async def test_hosts_cannot_see_or_change_users(app, make_user):
    await make_user("sato")
    async with http_client(app) as host:
        await log_in(host, "sato")
        assert (await host.get("/admin/users")).status_code == 403
        assert (await host.get("/api/v1/users")).status_code == 403


async def test_an_admin_cannot_lock_themselves_out(admin_client):
    me = (await admin_client.get("/api/v1/me")).json()
    token = await csrf_token(admin_client)
    for change in ({"is_active": False}, {"role": "host"}):
        response = await admin_client.patch(
            f"/api/v1/users/{me['id']}", json=change, headers={"x-csrf-token": token}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cannot_demote_self"
    assert (await admin_client.get("/api/v1/me")).json()["role"] == "admin"


async def test_one_admin_can_demote_another_who_then_loses_admin_pages(app, make_user):
    boss = await make_user("boss", role="admin")
    await make_user("deputy", role="admin")
    async with http_client(app) as deputy:
        await log_in(deputy, "deputy")
        token = await csrf_token(deputy)
        response = await deputy.patch(
            f"/api/v1/users/{boss.id}", json={"role": "host"}, headers={"x-csrf-token": token}
        )
    assert response.status_code == 200
    async with http_client(app) as former_admin:
        await log_in(former_admin, "boss")
        assert (await former_admin.get("/api/v1/users")).status_code == 403


async def test_admin_promotes_and_reenables_through_the_console(app, admin_client, make_user):
    host = await make_user("sato")
    token = await csrf_token(admin_client, "/admin/users")
    for action, flash in [
        ("disable", "sato を無効にし、ログインを終了させました。"),
        ("enable", "sato を有効にしました。"),
        ("make_admin", "sato を管理者にしました。"),
    ]:
        page = await admin_client.post(
            f"/admin/users/{host.id}",
            data={"csrf_token": token, "action": action},
            follow_redirects=True,
        )
        assert flash in page.text
    async with http_client(app) as sato:
        await log_in(sato, "sato")
        assert (await sato.get("/api/v1/users")).status_code == 200


async def test_admin_resets_a_forgotten_password_and_the_old_logins_end(
    app, admin_client, make_user
):
    host = await make_user("sato")
    async with http_client(app) as host_browser:
        await log_in(host_browser, "sato")
        token = await csrf_token(admin_client, "/admin/users")

        page = await admin_client.post(
            f"/admin/users/{host.id}", data={"csrf_token": token, "action": "reset_password"}
        )

        assert page.status_code == 200
        assert "sato のパスワードを再設定しました。" in page.text
        password = re.search(r'id="created-password">([^<]+)<', page.text).group(1)
        assert (await host_browser.get("/api/v1/me")).status_code == 401
    async with http_client(app) as host_browser:
        assert (await log_in(host_browser, "sato")).status_code == 401
        assert (await log_in(host_browser, "sato", password)).status_code == 303
