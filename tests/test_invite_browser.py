"""Starting a meeting the guest joins by link, from the dashboard, in real
browsers: the host at 1280x800, the guest on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host
from tests.test_meeting_browser import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def host(new_page, live_server):
    page = console_host(new_page, live_server)
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def test_a_link_only_start_shows_the_link_and_its_qr_code_at_once(host, new_page):
    host.get_by_role("button", name="SMS を使わずリンク・QR コードで案内").click()

    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))  # the #invite is spent
    link = host.locator("#link-url")
    expect(link).to_have_text(re.compile(r"^http://127\.0\.0\.1:\d+/j/\S+$"))
    qr = host.get_by_role("img", name=re.compile("QR"))
    expect(qr).to_be_in_viewport()
    assert qr.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    # The QR code is of the link on screen: read out or scanned, one link.
    token = link.inner_text().rsplit("/", 1)[1]
    assert f"token={token}" in qr.get_attribute("src")
    expect(host.get_by_role("button", name="QR コードを隠す")).to_have_attribute(
        "aria-expanded", "true"
    )

    guest = new_page(**PHONE)
    guest.goto(link.inner_text())
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="参加する").click()
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")

    host.reload()  # a reload does not make yet another link
    expect(host.locator("#qr-box")).to_be_hidden()
    expect(link).to_have_text("")


def test_a_meeting_started_by_sms_does_not_open_a_link_of_its_own(host):
    host.get_by_label("お客様の携帯電話番号").fill("090-5000-0071")
    host.get_by_role("button", name="SMS を送って開始").click()

    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(host.locator("#sms-list li").first).to_contain_text("090-****-0071")
    expect(host.locator("#qr-box")).to_be_hidden()
    expect(host.locator("#link-url")).to_have_text("")


def test_the_sms_preview_holds_no_link_to_open(host):
    host.get_by_label("お客様の携帯電話番号").fill("090-5000-0002")
    host.get_by_role("button", name="SMS を送って開始").click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))

    host.get_by_text("送信内容").click()

    preview = host.locator("#sms-preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("お電話中の通話に参加するリンクです")
    expect(preview).to_contain_text("［参加用リンク：送信時に作成されます］")
    expect(preview).not_to_contain_text("http")
    expect(preview.get_by_role("link")).to_have_count(0)
    expect(host.locator("#sms-segments")).to_have_text("(SMS 2 通分)")
