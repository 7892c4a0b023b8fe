"""In Chromium: a host's meeting page shows a capture that the server
redirects to the object store (the console's CSP allows the store's origin)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import type_number
from tests.live_server import start_server
from tests.test_blob_store_instances import s3_environment
from tests.test_capture_ingest import encoded, picture

pytestmark = pytest.mark.browser


@pytest.fixture
def s3_server(tmp_path, s3_settings):
    # Every download redirects to a presigned URL.
    server = start_server(
        tmp_path / "s3", TSUNAGU_S3_REDIRECT_BYTES="0", **s3_environment(s3_settings)
    )
    yield server
    server.stop()


def test_a_capture_in_the_meeting_page_loads_from_the_object_store(
    new_page, s3_server, s3_settings
):
    store_origin = str(s3_settings["s3_endpoint_url"])
    host = new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    host.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    from_store: list[int] = []
    host.on(
        "response",
        lambda r: from_store.append(r.status) if r.url.startswith(store_origin + "/") else None,
    )
    host.goto(s3_server.url + "/login")
    host.get_by_label("ユーザー名").fill("admin")
    host.get_by_label("パスワード").fill(s3_server.first_run_password())
    host.get_by_role("button", name="ログイン").click()
    expect(host.get_by_role("heading", name="接続番号を入力")).to_be_visible()

    with httpx.Client(base_url=s3_server.url) as guest:
        issued = guest.post("/api/v1/guest/numbers").json()
        guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
        type_number(host, issued["number"])
        expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
        sent = guest.post(
            "/api/v1/guest/captures",
            data={"url": "https://shop.example/", "title": "トップページ"},
            files={"image": ("s.png", encoded(picture((390, 844)), "PNG"), "image/png")},
        )
        assert sent.status_code == 201, sent.text

    image = host.locator("#capture-image")
    expect(image).to_have_attribute("src", sent.json()["image_url"])
    assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") == 390
    # After a reload too (the capture comes with the page, not the event).
    host.reload()
    assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") == 390
    assert from_store and set(from_store) == {200}
    assert refused == []
