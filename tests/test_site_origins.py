"""The snippet's calls are accepted only from the allowed origins of an
active site: CORS with preflight over HTTP, the Origin header on WebSockets."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token

SHOP = "https://shop.example"
OTHER = "https://other.example"


@pytest.fixture
async def sites(admin_client) -> dict:
    token = await csrf_token(admin_client)
    keys = {}
    for name, origin in [("Shop", SHOP), ("Other", OTHER)]:
        created = await admin_client.post(
            "/api/v1/sites",
            json={"name": name, "origins": [origin]},
            headers={"x-csrf-token": token},
        )
        keys[origin] = created.json()
    return keys


def preflight(origin: str, method: str = "POST") -> dict:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": "authorization, content-type",
    }


async def test_a_preflight_from_a_sites_origin_is_allowed_and_others_are_not(client, sites):
    allowed = await client.options("/api/v1/guest/numbers", headers=preflight(SHOP))
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "Origin" in allowed.headers["vary"]

    refused = await client.options(
        "/api/v1/guest/numbers", headers=preflight("https://evil.example")
    )
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


async def test_the_snippet_gets_a_number_with_its_site_key_from_its_origin(client, sites):
    key = sites[SHOP]["site_key"]
    issued = await client.post(
        "/api/v1/guest/numbers", json={"site_key": key}, headers={"origin": SHOP}
    )
    assert issued.status_code == 201
    assert issued.headers["access-control-allow-origin"] == SHOP
    token = issued.json()["guest_token"]
    session = await client.get(
        "/api/v1/guest/session", headers={"origin": SHOP, "authorization": f"Bearer {token}"}
    )
    assert session.status_code == 200
    assert session.json()["status"] == "waiting"


@pytest.mark.parametrize(
    ("body_key", "origin", "status", "code"),
    [
        (None, SHOP, 403, "origin_not_allowed"),  # a site's page must say which site
        (SHOP, OTHER, 403, "origin_not_allowed"),  # the key of one site from another's origin
        ("pk_nope", SHOP, 404, "site_unknown"),
    ],
)
async def test_numbers_are_refused_to_the_wrong_origin_or_key(
    client, sites, body_key, origin, status, code
):
    body = {"site_key": sites[body_key]["site_key"] if body_key in sites else body_key}
    if body_key is None:
        body = {}
    response = await client.post("/api/v1/guest/numbers", json=body, headers={"origin": origin})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_a_disabled_site_gets_no_numbers(admin_client, client, sites):
    site = sites[SHOP]
    await admin_client.patch(
        f"/api/v1/sites/{site['id']}",
        json={"is_active": False},
        headers={"x-csrf-token": await csrf_token(admin_client)},
    )
    refused = await client.post(
        "/api/v1/guest/numbers", json={"site_key": site["site_key"]}, headers={"origin": SHOP}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "site_disabled"
    assert "停止" in refused.json()["error"]["message"]
    preflight_now = await client.options("/api/v1/guest/numbers", headers=preflight(SHOP))
    assert preflight_now.status_code == 403


async def test_a_guests_token_works_only_from_their_own_sites_origin(client, sites):
    issued = await client.post(
        "/api/v1/guest/numbers",
        json={"site_key": sites[SHOP]["site_key"]},
        headers={"origin": SHOP},
    )
    bearer = {"authorization": f"Bearer {issued.json()['guest_token']}"}
    elsewhere = await client.get("/api/v1/guest/session", headers={**bearer, "origin": OTHER})
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"]["code"] == "origin_not_allowed"
    # A guest of the public join page cannot be driven from a site's page either.
    join_guest = (await client.post("/api/v1/guest/numbers")).json()["guest_token"]
    from_site = await client.get(
        "/api/v1/guest/session", headers={"authorization": f"Bearer {join_guest}", "origin": SHOP}
    )
    assert from_site.status_code == 403


async def test_the_snippet_learns_which_fields_its_site_unmasks(admin_client, client, sites):
    site = sites[SHOP]
    await admin_client.patch(
        f"/api/v1/sites/{site['id']}",
        json={"unmask_selectors": ["input[type=email]", "#order-id"]},
        headers={"x-csrf-token": await csrf_token(admin_client)},
    )
    issued = await client.post(
        "/api/v1/guest/numbers", json={"site_key": site["site_key"]}, headers={"origin": SHOP}
    )
    assert issued.json()["unmask_selectors"] == ["input[type=email]", "#order-id"]
    bearer = {"authorization": f"Bearer {issued.json()['guest_token']}", "origin": SHOP}
    session = await client.get("/api/v1/guest/session", headers=bearer)
    assert session.json()["unmask_selectors"] == ["input[type=email]", "#order-id"]
    left = await client.post("/api/v1/guest/leave", headers=bearer)
    assert left.json()["unmask_selectors"] == ["input[type=email]", "#order-id"]

    # The other site's guests, and guests of the public join page, get none.
    other = await client.post(
        "/api/v1/guest/numbers",
        json={"site_key": sites[OTHER]["site_key"]},
        headers={"origin": OTHER},
    )
    assert other.json()["unmask_selectors"] == []
    joined = await client.post("/api/v1/guest/numbers")
    assert joined.json()["unmask_selectors"] == []
    token = joined.json()["guest_token"]
    session = await client.get(
        "/api/v1/guest/session", headers={"authorization": f"Bearer {token}"}
    )
    assert session.json()["unmask_selectors"] == []
