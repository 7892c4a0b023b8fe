"""Sites: registering the websites that embed the snippet."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from server.accounts import sites
from server.web.errors import ApiError
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in


async def api(client, method: str, path: str, body: dict | None = None):
    headers = {}
    if method != "GET":
        headers["x-csrf-token"] = await csrf_token(client)
    return await client.request(method, path, json=body, headers=headers)


async def create_shop(client) -> dict:
    body = {"name": "Shop", "origins": ["https://a.example"]}
    response = await api(client, "POST", "/api/v1/sites", body)
    assert response.status_code == 201
    return response.json()


async def test_admin_registers_a_site_and_gets_the_tag_to_paste(admin_client):
    response = await api(
        admin_client,
        "POST",
        "/api/v1/sites",
        {
            "name": "  Shop  ",
            "origins": [
                "HTTPS://Shop.Example.com:443/",
                "http://localhost:3000",
                "https://例え.jp",
                "https://faß.de",
                "https://[::1]:8443",
                "https://my_shop.example",
                "https://r4---sn-abc.cdn.example",
                "https://Ｓｈｏｐ．例え。JP",
                "https://shop.example.com",
            ],
        },
    )

    assert response.status_code == 201, response.text
    site = response.json()
    assert site["name"] == "Shop"
    assert site["origins"] == [
        "https://shop.example.com",
        "http://localhost:3000",
        "https://xn--r8jz45g.jp",
        "https://xn--fa-hia.de",  # as browsers encode it; not the other domain fass.de
        "https://[::1]:8443",
        "https://my_shop.example",  # browsers allow "_" and "--" in ASCII hosts
        "https://r4---sn-abc.cdn.example",
        "https://shop.xn--r8jz45g.jp",  # full-width letters and dots mapped as browsers do
    ]
    assert site["site_key"].startswith("pk_")
    assert site["is_active"] is True
    assert site["script_tag"] == (
        '<script src="http://testserver/embed/snippet.js" '
        f'data-site-key="{site["site_key"]}" async></script>'
    )


@pytest.mark.parametrize(
    "origin",
    [
        "shop.example.com",
        "https://shop.example.com/path",
        "https://shop.example.com/?q=1",
        "https://shop.example.com#top",
        "https://*.example.com",
        "*",
        "ftp://shop.example.com",
        "javascript:alert(1)",
        "https://user:pw@shop.example.com",
        "https://shop.example.com:99999",
        "https://shop .example.com",
        "https://",
        "",
        "https://a<b>.example",
        "https://exa%41mple.com",
        "https://-shop-.example",
        "https://shop.example:0",
        "https://" + "例" * 80 + ".jp",
    ],
)
async def test_invalid_origins_are_refused_naming_the_value_and_nothing_is_stored(
    admin_client, origin
):
    response = await api(
        admin_client,
        "POST",
        "/api/v1/sites",
        {"name": "Shop", "origins": ["https://ok.example", origin]},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_origin"
    assert f"「{origin.strip()[:200]}」" in error["message"]
    assert (await api(admin_client, "GET", "/api/v1/sites")).json()["sites"] == []


async def test_a_site_needs_a_name_and_an_origin(admin_client):
    no_origin = await api(admin_client, "POST", "/api/v1/sites", {"name": "Shop", "origins": []})
    assert no_origin.json()["error"]["code"] == "origins_required"
    no_name = await api(
        admin_client, "POST", "/api/v1/sites", {"name": "  ", "origins": ["https://a.example"]}
    )
    assert no_name.json()["error"]["code"] == "invalid_site_name"


async def test_a_colliding_site_key_is_drawn_again_not_shared(app):
    # The generator hands out "pk_same" twice before a fresh key.
    draws = itertools.chain(["pk_same", "pk_same"], (f"pk_fresh{n}" for n in itertools.count()))
    async with services(app).db.begin() as db:
        first = await sites.create_site(
            db,
            name="A",
            origins=["https://a.example"],
            created_by=None,
            new_key=lambda: next(draws),
        )
        second = await sites.create_site(
            db,
            name="B",
            origins=["https://b.example"],
            created_by=None,
            new_key=lambda: next(draws),
        )
    assert first.site_key == "pk_same"
    assert second.site_key == "pk_fresh0"
    async with services(app).db() as db:
        stored = {s.name: s.site_key for s in await sites.list_sites(db)}
    assert stored == {"A": "pk_same", "B": "pk_fresh0"}


async def test_admin_edits_and_disables_a_site(admin_client):
    created = await create_shop(admin_client)

    edited = await api(
        admin_client,
        "PATCH",
        f"/api/v1/sites/{created['id']}",
        {"name": "Shop JP", "origins": ["https://a.example", "https://b.example"]},
    )
    assert edited.status_code == 200
    assert edited.json()["origins"] == ["https://a.example", "https://b.example"]
    assert edited.json()["site_key"] == created["site_key"]

    disabled = await api(
        admin_client, "PATCH", f"/api/v1/sites/{created['id']}", {"is_active": False}
    )
    assert disabled.json()["is_active"] is False
    fetched = await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")
    assert fetched.json()["name"] == "Shop JP"
    assert fetched.json()["is_active"] is False


async def test_a_bad_edit_leaves_the_site_as_it_was(admin_client):
    created = await create_shop(admin_client)
    refused = await api(
        admin_client,
        "PATCH",
        f"/api/v1/sites/{created['id']}",
        {"name": "Renamed", "origins": ["not an origin"]},
    )
    assert refused.status_code == 422
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")).json()
    assert fetched["name"] == "Shop"
    assert fetched["origins"] == ["https://a.example"]


async def test_unknown_site_is_not_found(admin_client):
    response = await api(admin_client, "GET", "/api/v1/sites/999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "site_not_found"


async def test_hosts_cannot_manage_sites(app, make_user):
    await make_user("tanaka")
    async with http_client(app) as host:
        await log_in(host, "tanaka")
        listing = await host.get("/api/v1/sites")
        page = await host.get("/admin/sites")
    assert listing.status_code == 403
    assert listing.json()["error"]["code"] == "admin_required"
    assert page.status_code == 403
    assert "管理者だけが行える操作です。" in page.text


async def test_admin_registers_a_site_in_the_console_and_sees_the_tag(admin_client):
    token = await csrf_token(admin_client, "/admin/sites")
    response = await admin_client.post(
        "/admin/sites",
        data={
            "csrf_token": token,
            "name": "Shop",
            "origins": "https://shop.example\nhttp://localhost:3000",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "サイト「Shop」を登録しました。" in response.text
    assert (
        "&lt;script src=&#34;http://testserver/embed/snippet.js&#34; data-site-key="
        in response.text
    )


async def test_console_keeps_what_was_typed_when_an_origin_is_wrong(admin_client):
    token = await csrf_token(admin_client, "/admin/sites")
    response = await admin_client.post(
        "/admin/sites",
        data={"csrf_token": token, "name": "Shop", "origins": "https://shop.example/cart"},
    )
    assert response.status_code == 422
    assert "「https://shop.example/cart」はオリジンとして使えません" in response.text
    assert ">https://shop.example/cart</textarea>" in response.text


async def test_edits_made_at_the_same_moment_apply_one_after_the_other(admin_client):
    created = await create_shop(admin_client)
    token = await csrf_token(admin_client)
    both = {"origins": ["https://a.example", "https://b.example"]}

    answers = await asyncio.gather(
        *(
            admin_client.patch(
                f"/api/v1/sites/{created['id']}", json=both, headers={"x-csrf-token": token}
            )
            for _ in range(6)
        )
    )

    assert [a.status_code for a in answers] == [200] * 6
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")).json()
    assert fetched["origins"] == ["https://a.example", "https://b.example"]


async def test_unmask_selectors_are_stored_tidied_and_kept_until_changed(admin_client):
    created = await api(
        admin_client,
        "POST",
        "/api/v1/sites",
        {
            "name": "Shop",
            "origins": ["https://a.example"],
            "unmask_selectors": [" input[type=email] ", "", "#order-id", "input[type=email]"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["unmask_selectors"] == ["input[type=email]", "#order-id"]
    site_id = created.json()["id"]

    renamed = await api(admin_client, "PATCH", f"/api/v1/sites/{site_id}", {"name": "Shop JP"})
    assert renamed.json()["unmask_selectors"] == ["input[type=email]", "#order-id"]

    changed = await api(
        admin_client,
        "PATCH",
        f"/api/v1/sites/{site_id}",
        {"unmask_selectors": ["form.search input, select[name=size]"]},
    )
    assert changed.status_code == 200
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{site_id}")).json()
    assert fetched["unmask_selectors"] == ["form.search input, select[name=size]"]

    cleared = await api(admin_client, "PATCH", f"/api/v1/sites/{site_id}", {"unmask_selectors": []})
    assert cleared.json()["unmask_selectors"] == []


async def test_a_new_site_masks_every_typed_value(admin_client):
    assert (await create_shop(admin_client))["unmask_selectors"] == []


@pytest.mark.parametrize(
    ("selectors", "code", "named"),
    [
        (["input.email { color: red; }"], "invalid_unmask_selector", "input.email { color: red; }"),
        (["#order-id;"], "invalid_unmask_selector", "#order-id;"),
        (["<input type=email>"], "invalid_unmask_selector", "<input type=email>"),
        (["#ok", "#" + "a" * 200], "invalid_unmask_selector", "#" + "a" * 79 + "…"),
        ([f"#field-{n}" for n in range(51)], "too_many_unmask_selectors", "50"),
    ],
)
async def test_unusable_unmask_selectors_are_refused_saying_why_and_nothing_changes(
    admin_client, selectors, code, named
):
    created = await create_shop(admin_client)
    path = f"/api/v1/sites/{created['id']}"

    refused = await api(admin_client, "PATCH", path, {"unmask_selectors": selectors})
    new = await api(
        admin_client,
        "POST",
        "/api/v1/sites",
        {"name": "B", "origins": ["https://b.example"], "unmask_selectors": selectors},
    )

    for response in (refused, new):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code
        assert named in response.json()["error"]["message"]
    assert (await api(admin_client, "GET", path)).json()["unmask_selectors"] == []
    assert len((await api(admin_client, "GET", "/api/v1/sites")).json()["sites"]) == 1


async def test_fifty_unmask_selectors_are_fine_counted_after_repeats_are_dropped(admin_client):
    created = await create_shop(admin_client)
    selectors = [f"#field-{n}" for n in range(50)] * 2
    response = await api(
        admin_client, "PATCH", f"/api/v1/sites/{created['id']}", {"unmask_selectors": selectors}
    )
    assert response.status_code == 200
    assert response.json()["unmask_selectors"] == selectors[:50]


async def save_site_page(client, path: str, unmask_selectors: str, **options):
    """Save the console's site form for the shop, with these unmask selectors."""
    data = {
        "csrf_token": await csrf_token(client, path),
        "action": "save",
        "name": "Shop",
        "origins": "https://a.example",
        "unmask_selectors": unmask_selectors,
    }
    return await client.post(path, data=data, **options)


async def test_owner_unmasks_fields_on_the_console_site_page(admin_client):
    created = await create_shop(admin_client)
    path = f"/admin/sites/{created['id']}"
    page = await admin_client.get(path)
    assert "入力値を表示するフィールド" in page.text
    assert "パスワード（「パスワードを表示」で切り替えた後も）" in page.text

    saved = await save_site_page(
        admin_client, path, "input[type=email]\r\n\r\n  #order-id  \r\n", follow_redirects=True
    )

    assert saved.status_code == 200
    assert "「Shop」を保存しました。" in saved.text
    assert ">input[type=email]\n#order-id</textarea>" in saved.text
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")).json()
    assert fetched["unmask_selectors"] == ["input[type=email]", "#order-id"]


async def test_console_explains_a_pasted_css_rule_and_keeps_what_was_typed(admin_client):
    created = await create_shop(admin_client)
    path = f"/admin/sites/{created['id']}"
    typed = "#order-id\ninput.email { display: none }"

    refused = await save_site_page(admin_client, path, typed, headers={"accept-language": "en"})

    assert refused.status_code == 422
    assert "“input.email { display: none }” cannot be used" in refused.text
    assert "not a whole CSS rule" in refused.text
    assert ">#order-id\ninput.email { display: none }</textarea>" in refused.text
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")).json()
    assert fetched["unmask_selectors"] == []


async def test_a_form_without_the_unmask_field_leaves_the_selectors_alone(admin_client):
    created = await create_shop(admin_client)
    await api(
        admin_client,
        "PATCH",
        f"/api/v1/sites/{created['id']}",
        {"unmask_selectors": ["#order-id"]},
    )
    path = f"/admin/sites/{created['id']}"
    await admin_client.post(
        path,
        data={
            "csrf_token": await csrf_token(admin_client, path),
            "action": "save",
            "name": "Shop 2",
            "origins": "https://a.example",
        },
    )
    fetched = (await api(admin_client, "GET", f"/api/v1/sites/{created['id']}")).json()
    assert (fetched["name"], fetched["unmask_selectors"]) == ("Shop 2", ["#order-id"])


@pytest.mark.parametrize("selector", ["input\t#x", "#a\x00", "#a\x1b[0m", "#a\x85b"])
def test_a_selector_with_control_characters_is_refused_without_echoing_them(selector):
    with pytest.raises(ApiError) as refused:
        sites.normalize_unmask_selectors(["#ok", selector])
    assert refused.value.code == "invalid_unmask_selector"
    shown = refused.value.params["selector"]
    assert "\ufffd" in shown
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in shown)
