"""The host's screen-support window, in a real browser, fed by the real
capture API: what a host sees when a guest sends pictures of their page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_capture_ingest import encoded, picture

pytestmark = pytest.mark.browser
HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\">Cart"


@pytest.fixture
def meeting(new_page, live_server):
    """A host in the meeting view with a guest connected through the API."""
    guest = httpx.Client(base_url=live_server.url)
    issued = guest.post("/api/v1/guest/numbers").json()
    guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
    host = console_host(new_page, live_server)
    type_number(host, issued["number"])
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    yield host, guest
    guest.close()


def send(guest, title: str, url: str, size=(390, 844)):
    response = guest.post(
        "/api/v1/guest/captures",
        data={"url": url, "title": title, "viewport_width": "390", "viewport_height": "844"},
        files={"image": ("s.png", encoded(picture(size), "PNG"), "image/png")},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_guest_captures_appear_newest_first_with_title_and_url(meeting):
    host, guest = meeting
    expect(host.locator("#no-captures")).to_be_visible()

    send(guest, "トップページ", "https://shop.example/")
    expect(host.locator("#capture-title")).to_have_text("トップページ")
    expect(host.locator("#no-captures")).to_be_hidden()
    second = send(guest, "カート", "https://shop.example/cart?item=42")

    expect(host.locator("#capture-title")).to_have_text("カート")
    link = host.locator("#capture-url a")
    expect(link).to_have_attribute("href", "https://shop.example/cart?item=42")
    image = host.locator("#capture-image")
    expect(image).to_have_attribute("src", second["image_url"])
    # decode() settles once the image has loaded (a polled string check
    # would need eval, which the console's CSP rightly forbids).
    assert host.locator("#capture-image").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    expect(host.locator("#capture-strip img")).to_have_count(2)
    # Clicking the older thumbnail brings it back to the large view.
    host.locator("#capture-strip button").nth(1).click()
    expect(host.locator("#capture-title")).to_have_text("トップページ")
    expect(host.locator("#timeline")).to_contain_text("キャプチャを受信: カート")


def test_guest_strings_are_shown_as_text_and_only_web_urls_are_links(meeting):
    host, guest = meeting
    send(guest, HOSTILE_TITLE, "javascript:alert(document.cookie)")

    expect(host.locator("#capture-title")).to_have_text(HOSTILE_TITLE)
    expect(host.locator("#capture-url")).to_have_text("javascript:alert(document.cookie)")
    expect(host.locator("#capture-url a")).to_have_count(0)
    assert host.title() != "pwned"
    assert host.locator("figcaption img").count() == 0


def test_visited_pages_long_urls_and_zoom(meeting):
    host, guest = meeting
    long_url = "https://shop.example/products/" + "very-long-segment/" * 8 + "?ref=mail"
    guest.post("/api/v1/guest/pages", json={"url": long_url, "title": "商品ページ"})
    # The pages the guest opened are in the captures tool's panel.
    host.get_by_role("button", name="画面キャプチャ").click()
    visited = host.get_by_role("region", name="画面キャプチャ").locator("#visited")
    expect(visited).to_contain_text("商品ページ")
    expect(visited).to_be_visible()
    send(guest, "商品ページ", long_url)

    shown = host.locator("#capture-url a")
    expect(shown).to_have_text(re.compile(r"…$"))
    host.get_by_role("button", name="全体を表示").click()
    expect(shown).to_have_text(long_url)

    host.get_by_role("button", name="拡大").click()
    expect(host.locator("#capture-frame")).to_have_class(re.compile("zoomed"))
    expect(host.locator("#capture-download")).to_have_attribute("href", re.compile(r"/image$"))
    host.get_by_role("button", name="縮小").click()
    expect(host.locator("#capture-frame")).not_to_have_class(re.compile("zoomed"))


def test_asking_for_a_capture_reaches_the_guests_events(meeting, live_server):
    host, guest = meeting
    host.get_by_role("button", name="キャプチャを依頼").click()
    expect(host.locator("#ask-state")).to_have_text("お客様にキャプチャの送信を依頼しました。")
    meeting_id = host.url.rsplit("/", 1)[1]
    session = guest.get("/api/v1/guest/session").json()
    assert str(session["meeting_id"]) == meeting_id
    expect(host.locator("#timeline")).to_contain_text("キャプチャを依頼しました")


def test_a_reloaded_meeting_view_shows_the_captures_already_sent(meeting):
    host, guest = meeting
    send(guest, "一枚目", "https://shop.example/1")
    send(guest, "二枚目", "https://shop.example/2")
    host.reload()
    expect(host.locator("#capture-title")).to_have_text("二枚目")
    expect(host.locator("#capture-strip img")).to_have_count(2)
