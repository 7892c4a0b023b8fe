"""Meeting records in real browsers: the guest label set on one open page
appears on another, and the ended meeting's page is its record, with the
memo, captures, pages, SMS and consent (host at 1280x800, guest 390x844)."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_capture_ingest import encoded, picture
from tests.test_meeting_browser import PHONE, get_number

pytestmark = pytest.mark.browser
HOST = {"width": 1280, "height": 800}
MEMO = "配送先を大阪の支店に変更。請求書は月末締め。"


def api_call(page, method: str, path: str, body: dict | None = None) -> dict:
    """The console's own API from the host's page (its cookie and CSRF token)."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(path, {
                method, headers: {"content-type": "application/json", "x-csrf-token": csrf},
                body: body ? JSON.stringify(body) : undefined,
            });
            return {status: response.status, data: await response.json()};
        }""",
        [method, path, body],
    )


def test_a_label_set_on_one_page_appears_live_on_the_other(new_page, live_server):
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    number = get_number(guest)
    host = console_host(new_page, live_server)
    host.set_viewport_size(HOST)
    type_number(host, number)
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")
    # The same meeting open in a second tab (a colleague's screen, a reload).
    other = host.context.new_page()
    other.set_viewport_size(HOST)
    other.goto(host.url)
    expect(other.locator("#guests .guest-status")).to_have_text("接続中")

    label = host.locator("#guest-label")
    label.get_by_role("button", name="表示名を編集").click()
    label.get_by_label("お客様の表示名").fill("山田様")
    label.get_by_role("button", name="保存").click()
    expect(label.locator("[data-guest-label-text]")).to_have_text("山田様")

    expect(other.locator("#guest-label [data-guest-label-text]")).to_have_text("山田様")
    expect(other.locator("#timeline")).to_contain_text("お客様の表示名を「山田様」にしました")


def test_a_late_answer_does_not_put_back_an_older_label(new_page, live_server):
    """The host saves 「山田様」, a colleague then 「佐藤様」; the answer to the
    first save, arriving last, must not show 「山田様」 over the newer name."""
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    number = get_number(guest)
    host = console_host(new_page, live_server)
    host.set_viewport_size(HOST)
    type_number(host, number)
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(host.url.rsplit("/", 1)[1])
    colleague = host.context.new_page()
    colleague.goto(host.url)
    held = []

    def hold_the_answer(route) -> None:
        if route.request.method == "PATCH":
            held.append((route, route.fetch()))  # saved; the answer waits
        else:
            route.continue_()

    host.route(re.compile(r"/api/v1/meetings/\d+$"), hold_the_answer)
    label = host.locator("#guest-label")
    label.get_by_role("button", name="表示名を編集").click()
    label.get_by_label("お客様の表示名").fill("山田様")
    label.get_by_role("button", name="保存").click()
    expect(host.locator("#timeline")).to_contain_text("お客様の表示名を「山田様」にしました")
    saved = api_call(
        colleague, "PATCH", f"/api/v1/meetings/{meeting_id}", {"guest_label": "佐藤様"}
    )
    assert saved["status"] == 200
    expect(label.locator("[data-guest-label-text]")).to_have_text("佐藤様")

    route, answer = held[0]
    route.fulfill(response=answer)

    expect(label.locator(".guest-label-form")).to_be_hidden()  # the answer was read
    expect(label.locator("[data-guest-label-text]")).to_have_text("佐藤様")
    # The guest is never told what the host calls them.
    expect(guest.get_by_text("山田様")).to_have_count(0)


def test_the_ended_meetings_record_shows_all_that_happened(new_page, live_server, tmp_path):
    client = httpx.Client(base_url=live_server.url)
    guest = client.post("/api/v1/guest/numbers").json()
    host = console_host(new_page, live_server)
    host.set_viewport_size(HOST)
    type_number(host, guest["number"])
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(host.url.rsplit("/", 1)[1])
    auth = {"authorization": f"Bearer {guest['guest_token']}"}
    for title, url, colour in (
        ("カート | デモショップ", "http://127.0.0.1/cart", (200, 40, 40)),
        ("お届け先", "http://127.0.0.1/checkout", (40, 40, 200)),
    ):
        sent = client.post(
            "/api/v1/guest/captures",
            headers=auth,
            data={"url": url, "title": title},
            files={"image": ("s.png", encoded(picture((390, 844), colour=colour), "PNG"))},
        )
        assert sent.status_code == 201
    client.post(
        "/api/v1/guest/pages",
        headers=auth,
        json={"url": "http://127.0.0.1/faq/returns", "title": "返品について"},
    )
    expect(host.locator("#capture-title")).to_have_text("お届け先")
    sent = api_call(host, "POST", f"/api/v1/meetings/{meeting_id}/sms", {"phone": "090-1234-5678"})
    assert sent["status"] == 201
    # The memo's text as the memo keeps it (MeetingMemo.text).
    with sqlite3.connect(live_server.data_dir / "tsunagu.db") as db:
        db.execute(
            "INSERT INTO meeting_memos (meeting_id, state, text, shared_with_guest, updated_at) "
            "VALUES (?, x'', ?, 1, '2026-11-30 10:00:00')",
            (meeting_id, MEMO),
        )
    with host.expect_navigation():  # the live view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()

    expect(host.get_by_role("heading", name=f"ミーティング #{meeting_id} の記録")).to_be_visible()
    captures = host.locator("#record-captures li")
    expect(captures).to_have_count(2)
    expect(captures.first).to_contain_text("カート | デモショップ")
    expect(captures.first).to_contain_text("http://127.0.0.1/cart")
    for image in captures.locator("img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(host.locator("#record-pages")).to_contain_text("返品について")
    expect(host.locator("#record-memo")).to_have_text(MEMO)
    expect(host.locator("#record-sms")).to_contain_text("090-****-5678")
    expect(host.locator("#record-sms")).to_contain_text("送信箱に保存（未送信）")
    expect(host.locator("#record-consents")).to_contain_text(
        "利用規約とプライバシーポリシーに同意（参加ページ）"
    )
    expect(host.locator("#record-timeline")).to_contain_text("ミーティング終了")
    # Nothing live is left on the record.
    expect(host.get_by_role("button", name="ミーティングを終了")).to_have_count(0)
    expect(host.locator("video")).to_have_count(0)
    host.screenshot(path=tmp_path / "record.png", full_page=True)

    with host.expect_download() as download:
        host.locator("#memo-txt").click()
    assert download.value.suggested_filename == f"meeting-{meeting_id}-memo.txt"
    with host.expect_download() as download:
        host.locator("#record-zip").click()
    assert download.value.suggested_filename == f"meeting-{meeting_id}.zip"

    # The history lists it with how it started, its captures and its memo.
    host.goto(live_server.url + "/meetings?q=" + "大阪の支店")
    row = host.locator(f'tr[data-meeting="{meeting_id}"]')
    expect(row).to_contain_text("接続番号")
    expect(row).to_contain_text(MEMO)
    expect(host.locator("#meeting-table tbody tr")).to_have_count(1)
    host.screenshot(path=tmp_path / "history.png", full_page=True)
    host.go_back()

    host.emulate_media(media="print")
    expect(host.locator(".topbar")).to_be_hidden()
    expect(host.locator("#record-print")).to_be_hidden()
    expect(host.locator("#record-memo")).to_be_visible()
