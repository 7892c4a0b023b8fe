"""Phone meeting by SMS link, in real browsers, in outbox mode (no Twilio):
the host sends the link, a guest on a phone opens it from the outbox and is
in the meeting with no number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host
from tests.test_meeting_browser import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def host(new_page, live_server):
    return console_host(new_page, live_server)


def start_by_sms(host, phone: str) -> str:
    host.get_by_label("お客様の携帯電話番号").fill(phone)
    host.get_by_role("button", name="SMS を送って開始").click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    return host.url


def link_from_outbox(host, live_server) -> str:
    host.get_by_role("navigation").get_by_role("link", name="SMS 送信箱").click()
    expect(host.get_by_role("heading", name="SMS 送信箱")).to_be_visible()
    newest = host.locator("table.outbox tbody tr").first
    return newest.get_by_role("link", name="リンクを開く").get_attribute("href")


def test_host_sends_the_link_guest_opens_it_and_both_are_connected(host, new_page, live_server):
    meeting_url = start_by_sms(host, "090-2000-0001")

    expect(host.locator("#outbox-notice")).to_contain_text("送信箱モード")
    expect(host.locator("#sms-list li").first).to_contain_text("090-****-0001")
    expect(host.locator("#sms-list li").first).to_contain_text("送信箱に保存")
    expect(host.locator("#no-guests")).to_have_text("まだお客様は参加していません。")
    expect(host.locator("#sms-segments")).to_contain_text("SMS 2 通分")

    link = link_from_outbox(host, live_server)
    assert link.startswith(live_server.url + "/j/")
    host.goto(meeting_url)
    guest = new_page(**PHONE)
    guest.goto(link)

    expect(guest.get_by_role("heading", name="ビデオ通話に参加")).to_be_visible()
    expect(guest.get_by_text("お電話中の担当者（Admin）")).to_be_visible()
    join = guest.get_by_role("button", name="参加する")
    expect(join).to_be_disabled()  # not before agreeing
    guest.get_by_role("checkbox").check()
    join.click()

    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(guest.locator("#number")).to_be_hidden()  # no number was ever needed
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")
    expect(host.locator("#guests .guest-source")).to_have_text("リンク")
    expect(host.locator("#timeline")).to_contain_text("お客様がリンクから参加し、ミーティング開始")
    expect(host.locator("#elapsed")).not_to_have_text("—")

    guest.reload()  # a reload keeps the guest in the meeting
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    # Tapping the SMS again opens a new tab: still the same guest, straight in.
    second_tab = guest.context.new_page()
    second_tab.goto(link)
    expect(second_tab.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    second_tab.close()
    # The link forwarded to someone else's phone lets them in no further.
    stranger = new_page(**PHONE)
    stranger.goto(link)
    stranger.get_by_role("checkbox").check()
    stranger.get_by_role("button", name="参加する").click()
    expect(stranger.locator("#issue-error")).to_contain_text("別の端末ですでに使われています")

    with host.expect_navigation():  # the view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()
    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    guest.get_by_role("button", name="最初に戻る").click()
    expect(guest).to_have_url(live_server.url + "/join")


def test_host_resends_copies_and_shows_the_qr_code_from_the_meeting(host, new_page, live_server):
    host.context.grant_permissions(["clipboard-read", "clipboard-write"])
    start_by_sms(host, "090-2000-0002")

    host.get_by_label("お客様の携帯電話番号").fill("080-2000-0003")
    host.get_by_role("button", name="SMS で送る").click()
    expect(host.locator("#sms-list li")).to_have_count(2)
    expect(host.locator("#sms-list li").first).to_contain_text("080-****-0003")

    host.get_by_label("お客様の携帯電話番号").fill("080-2000-0003")
    host.get_by_role("button", name="SMS で送る").click()
    expect(host.locator("#sms-error")).to_contain_text("1 分以内")

    host.get_by_role("button", name="リンクをコピー").click()
    expect(host.locator("#sms-state")).to_have_text("リンクをコピーしました。")
    expect(host.locator("#link-url")).to_have_text(re.compile(r"/j/"))
    copied = host.evaluate("navigator.clipboard.readText()")
    assert copied == host.locator("#link-url").inner_text()

    host.get_by_role("button", name="QR コードを表示").click()
    qr = host.locator("#qr")
    expect(qr).to_be_visible()
    # decode() settles once the image has loaded (a polled string check
    # would need eval, which the console's CSP rightly forbids).
    assert host.locator("#qr").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    # Each copy or QR code is a link of its own (each admits one phone).
    assert copied.rsplit("/", 1)[1] not in qr.get_attribute("src")

    # The copied link works for a guest, like the SMS one.
    guest = new_page(**PHONE)
    guest.goto(copied)
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="参加する").click()
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")


def test_a_landline_is_refused_on_the_dashboard_with_a_reason(host):
    host.get_by_label("お客様の携帯電話番号").fill("03-1234-5678")
    host.get_by_role("button", name="SMS を送って開始").click()

    expect(host.locator("#invite-error")).to_contain_text("携帯電話の番号ではない")
    expect(host).to_have_url(re.compile(r"/$"))


def test_an_ended_meetings_link_tells_the_guest_what_to_do(host, new_page, live_server):
    start_by_sms(host, "090-2000-0004")
    link = link_from_outbox(host, live_server)
    host.go_back()
    with host.expect_navigation():  # the view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()
    expect(host.locator("#ended-banner")).to_be_visible()

    guest = new_page(**PHONE)
    guest.goto(link)

    expect(guest.get_by_role("heading", name="このリンクは使えません")).to_be_visible()
    expect(guest.get_by_text("この通話はすでに終了しています。")).to_be_visible()
    guest.get_by_role("link", name="参加ページを開く").click()
    expect(guest.get_by_role("button", name="接続番号を発行する")).to_be_visible()


def test_a_phone_in_two_calls_returns_to_the_right_one_by_its_link(host, new_page, live_server):
    start_by_sms(host, "090-2000-0005")
    first_link = link_from_outbox(host, live_server)
    host.goto(live_server.url + "/")
    start_by_sms(host, "090-2000-0006")
    second_link = link_from_outbox(host, live_server)
    guest = new_page(**PHONE)
    for link in (first_link, second_link):  # one tab, one call after the other
        guest.goto(link)
        guest.get_by_role("checkbox").check()
        guest.get_by_role("button", name="参加する").click()
        expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()

    guest.goto(first_link)  # back to the first call's SMS, in the same tab

    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(guest.locator("#issue-error")).to_be_hidden()
