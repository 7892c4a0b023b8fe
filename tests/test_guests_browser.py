"""Two phones on two links of one meeting, and the host at the console: both
are listed with how they came in, one is on video and the other is told so,
the host moves the video and removes a guest, and the dashboard says how long
the guests have been gone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host
from tests.test_meeting_browser import PHONE
from tests.test_video_browser import frames

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
# The phone's page stops the call and closes its socket: counted as gone
# after the grace period (5 s), then the host's page hears of it.
GONE_MS = 20000

NEW_LINK = """async (meetingId) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(`/api/v1/meetings/${meetingId}/links`, {
    method: "POST",
    headers: {"content-type": "application/json", "x-csrf-token": csrf},
    body: "{}",
  });
  return (await response.json()).url;
}"""

GUEST_CALL = """async () => {
  const token = sessionStorage.getItem("tsunagu.guest_token");
  const response = await fetch("/api/v1/guest/call", {headers: {authorization: `Bearer ${token}`}});
  return [response.status, (await response.json()).error.code];
}"""


def join(new_page, link: str):
    phone = new_page(**PHONE)
    phone.goto(link)
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="参加する").click()
    expect(phone.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return phone


def guest_item(host, n: int):
    return host.locator("#guests > li").filter(has_text=f"お客様 {n}")


@pytest.fixture
def meeting(new_page, live_server):
    """The host starts a meeting by link and two phones join by a link each."""
    host = console_host(new_page, live_server)
    host.set_viewport_size(DESKTOP)
    host.get_by_role("button", name="SMS を使わずリンク・QR コードで案内").click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(host.url.rsplit("/", 1)[1])
    first = join(new_page, host.evaluate(NEW_LINK, meeting_id))
    second = join(new_page, host.evaluate(NEW_LINK, meeting_id))
    return host, first, second


def test_two_phones_are_listed_one_on_video_and_the_host_moves_the_video(meeting):
    host, first, second = meeting

    for n in (1, 2):
        expect(guest_item(host, n)).to_contain_text("リンク")
        expect(guest_item(host, n).locator(".guest-status")).to_have_text("接続中")
    expect(guest_item(host, 1).locator(".guest-video")).to_have_text("ビデオ通話中")
    # The second phone did not join unnoticed.
    expect(host.locator("#guest-arrived")).to_contain_text("お客様 2（リンク）も参加しました")
    expect(host.locator("#timeline")).to_contain_text("お客様 2 がリンクから参加しました")
    # The first phone is on video; the second is told it is connected without.
    expect(first.locator("#video-stage")).to_have_attribute("data-state", "connected")
    assert frames(first) >= 10
    expect(second.locator("#video-elsewhere")).to_have_text(
        "ビデオは別のお客様と通話中です。お電話はこのまま続けられます。"
    )
    expect(second.locator("#video-area")).to_be_hidden()

    guest_item(host, 2).get_by_role("button", name="ビデオをこのお客様に").click()

    expect(guest_item(host, 2).locator(".guest-video")).to_have_text("ビデオ通話中")
    expect(second.locator("#video-stage")).to_have_attribute("data-state", "connected")
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    assert frames(host) >= 10  # the second phone's camera, now
    assert frames(second) >= 10
    expect(first.locator("#video-elsewhere")).to_be_visible()
    expect(first.locator("#video-area")).to_be_hidden()
    expect(host.locator("#timeline")).to_contain_text("ビデオの相手がお客様 2 になりました")
    # The note on the newcomer says what is true now.
    expect(host.locator("#guest-arrived-text")).to_have_text("お客様 2（リンク）も参加しました。")


def test_a_removed_guest_is_told_refused_and_listed_as_removed(meeting):
    host, first, second = meeting
    expect(guest_item(host, 1).locator(".guest-status")).to_have_text("接続中")

    guest_item(host, 1).get_by_role("button", name="退出させる").click()

    expect(guest_item(host, 1).locator(".guest-status")).to_have_text("退出済み")
    expect(guest_item(host, 1).get_by_role("button")).to_have_count(0)
    expect(first.get_by_role("heading", name="通話から退出しました")).to_be_visible()
    expect(first.get_by_text("担当者がこの通話へのご参加を終了しました。")).to_be_visible()
    assert first.evaluate(GUEST_CALL) == [403, "guest_removed"]
    first.reload()
    expect(first.get_by_role("heading", name="通話から退出しました")).to_be_visible()
    expect(host.locator("#timeline")).to_contain_text("Admin がお客様 1 を退出させました")
    # The video passed to the phone still there.
    expect(guest_item(host, 2).locator(".guest-video")).to_have_text("ビデオ通話中")
    expect(second.locator("#video-stage")).to_have_attribute("data-state", "connected")


def test_guests_gone_show_how_long_and_nobody_is_connected_once_ended(meeting, live_server):
    host, first, second = meeting
    meeting_url = host.url
    # Both were there (a page closed before its socket opened never was).
    for n in (1, 2):
        expect(guest_item(host, n).locator(".guest-status")).to_have_text("接続中")

    first.close()
    second.close()

    for n in (1, 2):
        expect(guest_item(host, n).locator(".guest-status")).to_have_text("切断", timeout=GONE_MS)
        expect(guest_item(host, n).locator(".guest-ago")).to_have_text("たった今")

    host.clock.install()
    host.goto(live_server.url + "/")
    row = host.locator(f'#live-meetings li[data-meeting="{meeting_url.rsplit("/", 1)[1]}"]')
    expect(row).to_contain_text("お客様切断から 0 分")
    host.clock.fast_forward("03:00")
    expect(row).to_contain_text("お客様切断から 3 分")

    host.goto(meeting_url)
    with host.expect_navigation():  # the live view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()
    # Nobody is shown as connected: the record lists who came, and how.
    expect(host.locator("#guests")).to_have_count(0)
    expect(host.locator("#record-guests li")).to_have_count(2)
    expect(host.get_by_text("接続中")).to_have_count(0)
