"""The snippet's origin check: any page may ask whether the guest API takes
its calls, and the site owner is told in words what to fix when it does not."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, http_client

SHOP = "https://shop.example"
PATH = "/api/v1/embed/origin"


@pytest.fixture
async def shop(admin_client) -> dict:
    created = await admin_client.post(
        "/api/v1/sites",
        json={"name": "Shop", "origins": [SHOP]},
        headers={"x-csrf-token": await csrf_token(admin_client)},
    )
    assert created.status_code == 201
    return created.json()


def readable_by_any_page(response) -> None:
    assert response.headers.get_list("access-control-allow-origin") == ["*"]
    assert "access-control-allow-credentials" not in response.headers


async def test_a_registered_origin_is_told_it_may_call(client, shop):
    response = await client.get(
        PATH, params={"site_key": shop["site_key"]}, headers={"origin": SHOP}
    )

    assert response.status_code == 200
    readable_by_any_page(response)
    assert response.json() == {
        "origin": SHOP,
        "allowed": True,
        "reason": None,
        "message": "このページから画面サポートを利用できます。",
    }


async def test_an_unregistered_origin_is_named_with_what_to_do(client, shop):
    # localhost where 127.0.0.1 (or a forgotten www.) was registered.
    origin = "https://www.shop.example"
    response = await client.get(
        PATH, params={"site_key": shop["site_key"]}, headers={"origin": origin}
    )
    english = await client.get(
        PATH,
        params={"site_key": shop["site_key"]},
        headers={"origin": origin, "accept-language": "en-US,en;q=0.9"},
    )

    assert response.status_code == 200
    readable_by_any_page(response)
    body = response.json()
    assert (body["origin"], body["allowed"], body["reason"]) == (
        origin,
        False,
        "origin_not_registered",
    )
    assert body["message"] == (
        "https://www.shop.example は画面サポートのサイトに登録されていません。"
        "コンソールの「サイト」でこのオリジンを追加してください。"
    )
    assert english.json()["message"].startswith(
        "https://www.shop.example is not registered for screen support."
    )
    # It says what the guest API then does: the same origin is refused there.
    refused = await client.post(
        "/api/v1/guest/numbers", json={"site_key": shop["site_key"]}, headers={"origin": origin}
    )
    assert refused.status_code == 403


async def test_a_page_opened_from_a_file_is_told_to_be_served_over_http(client, shop):
    response = await client.get(
        PATH, params={"site_key": shop["site_key"]}, headers={"origin": "null"}
    )
    body = response.json()
    assert (body["allowed"], body["reason"]) == (False, "origin_not_registered")
    assert "file://" in body["message"]


async def test_a_disabled_site_is_told_where_to_enable_it(admin_client, client, shop):
    await admin_client.patch(
        f"/api/v1/sites/{shop['id']}",
        json={"is_active": False},
        headers={"x-csrf-token": await csrf_token(admin_client)},
    )
    response = await client.get(
        PATH, params={"site_key": shop["site_key"]}, headers={"origin": SHOP}
    )
    body = response.json()
    assert (body["allowed"], body["reason"]) == (False, "site_disabled")
    assert "有効にしてください" in body["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("site_key=pk_nobody", "サイトキー pk_nobody のサイトは登録されていません"),
        ("", "data-site-key がありません"),
        ("site_key=", "data-site-key がありません"),
        ("site_key=pk_" + "x" * 5000, "のサイトは登録されていません"),
        ("site_key=pk_%00%1b%ed%a0%80", "のサイトは登録されていません"),
    ],
)
async def test_an_unknown_missing_or_absurd_key_is_site_unknown_never_an_error(
    client, shop, query, words
):
    response = await client.get(f"{PATH}?{query}", headers={"origin": SHOP})

    assert response.status_code == 200
    readable_by_any_page(response)
    body = response.json()
    assert (body["allowed"], body["reason"]) == (False, "site_unknown")
    assert words in body["message"]
    assert "\x00" not in body["message"] and "\x1b" not in body["message"]
    assert len(body["message"]) < 300


async def test_without_an_origin_nothing_is_refused_for_it(client, shop):
    response = await client.get(PATH, params={"site_key": shop["site_key"]})
    assert response.json()["origin"] is None
    assert response.json()["allowed"] is True


async def test_checks_are_rate_limited_per_address_and_the_page_can_read_the_refusal(app, shop):
    async with http_client(app, address="203.0.113.9") as page:
        answers = [
            await page.get(PATH, params={"site_key": shop["site_key"]}, headers={"origin": SHOP})
            for _ in range(61)
        ]
    assert [a.status_code for a in answers] == [200] * 60 + [429]
    limited = answers[-1]
    readable_by_any_page(limited)
    assert limited.json()["error"]["code"] == "too_many_origin_checks"
    assert int(limited.headers["retry-after"]) > 0
    async with http_client(app, address="203.0.113.10") as another:
        other = await another.get(PATH, params={"site_key": shop["site_key"]})
    assert other.status_code == 200
