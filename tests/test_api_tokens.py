"""Personal API tokens: shown once, stored hashed, revocable."""

from __future__ import annotations

from sqlalchemy import select

from server.accounts import users
from server.storage.models import ApiToken
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in


async def create_token(client, name="crm") -> dict:
    token = await csrf_token(client)
    response = await client.post(
        "/api/v1/tokens", json={"name": name}, headers={"x-csrf-token": token}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_token_authenticates_an_integration_without_a_cookie(app, admin_client):
    created = await create_token(admin_client)
    assert created["token"].startswith("tsu_")

    async with http_client(app) as integration:
        me = await integration.get(
            "/api/v1/me", headers={"authorization": f"Bearer {created['token']}"}
        )
        assert me.status_code == 200
        assert me.json()["username"] == "boss"
        # No CSRF header needed: a browser never attaches a bearer token by itself.
        site = await integration.post(
            "/api/v1/sites",
            json={"name": "Shop", "origins": ["https://shop.example"]},
            headers={"authorization": f"Bearer {created['token']}"},
        )
        assert site.status_code == 201


async def test_token_value_is_stored_only_as_a_hash_and_never_listed(app, admin_client):
    created = await create_token(admin_client)

    async with services(app).db() as db:
        stored = (await db.scalars(select(ApiToken))).one()
    assert created["token"] not in (stored.token_hash, stored.prefix, stored.name)
    listed = (await admin_client.get("/api/v1/tokens")).json()["tokens"]
    assert [t["name"] for t in listed] == ["crm"]
    assert "token" not in listed[0]
    assert created["token"].startswith(listed[0]["prefix"])


async def test_revoked_token_stops_working_at_once(app, admin_client):
    created = await create_token(admin_client)
    bearer = {"authorization": f"Bearer {created['token']}"}
    token = await csrf_token(admin_client)

    revoked = await admin_client.delete(
        f"/api/v1/tokens/{created['id']}", headers={"x-csrf-token": token}
    )

    assert revoked.status_code == 204
    async with http_client(app) as integration:
        refused = await integration.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert refused.headers["www-authenticate"] == "Bearer"


async def test_a_host_cannot_revoke_someone_elses_token(app, admin_client, make_user):
    created = await create_token(admin_client)
    await make_user("tanaka")
    async with http_client(app) as host:
        await log_in(host, "tanaka")
        token = await csrf_token(host)
        response = await host.delete(
            f"/api/v1/tokens/{created['id']}", headers={"x-csrf-token": token}
        )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "token_not_found"
    async with http_client(app) as integration:
        still = await integration.get(
            "/api/v1/me", headers={"authorization": f"Bearer {created['token']}"}
        )
    assert still.status_code == 200


async def test_forged_or_malformed_bearer_tokens_are_refused(client):
    for value in ["Bearer tsu_forged", "Bearer ", "bearer tsu_x", "Bearer " + "x" * 5000]:
        response = await client.get("/api/v1/me", headers={"authorization": value})
        assert response.status_code == 401, value
        assert response.json()["error"]["code"] == "invalid_token"


async def test_token_of_a_disabled_user_stops_working(app, make_user):
    host = await make_user("tanaka")
    async with http_client(app) as browser:
        await log_in(browser, "tanaka")
        created = await create_token(browser)
    admin = await make_user("boss", role="admin")
    async with services(app).db.begin() as db:
        await users.update_user(db, admin, await users.get_user(db, host.id), is_active=False)
    async with http_client(app) as integration:
        refused = await integration.get(
            "/api/v1/me", headers={"authorization": f"Bearer {created['token']}"}
        )
    assert refused.status_code == 401


async def test_console_shows_a_new_token_once(admin_client):
    token = await csrf_token(admin_client, "/account")
    page = await admin_client.post("/account/tokens", data={"name": "crm", "csrf_token": token})
    assert page.status_code == 201
    shown = page.text.split('id="new-token">')[1].split("<")[0]
    assert shown.startswith("tsu_")

    again = await admin_client.get("/account")
    assert shown not in again.text
    assert "crm" in again.text


async def test_a_proxys_basic_auth_header_does_not_lock_out_the_console(client, make_user):
    """Behind a reverse proxy protected with Basic auth every request carries
    ``Authorization: Basic``; that is the proxy's, not a failed API token."""
    await make_user("tanaka")
    client.headers["authorization"] = "Basic dXNlcjpwYXNz"
    assert (await client.get("/login")).status_code == 200
    assert (await log_in(client, "tanaka")).status_code == 303
    assert (await client.get("/api/v1/me")).json()["username"] == "tanaka"
