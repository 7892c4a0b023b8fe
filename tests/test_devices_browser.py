"""The device check, browser audio and the host's camera menu, in real
browsers with fake cameras and microphones (Chromium's fake audio device
plays a beep, which moves the level meter)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_meeting_browser import PHONE, get_number
from tests.test_video_browser import REFUSE_CAMERA, frames

pytestmark = pytest.mark.browser

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

# The host changes the meeting's options as the room's controls do.
SET_OPTIONS = """async (body) => {
  const id = location.pathname.split("/").pop();
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(`/api/v1/meetings/${id}/options`, {
    method: "PATCH",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
  });
  return response.status;
}"""

METER_MOVES = "() => document.getElementById('device-check-level').value > 0.05"


def connect(new_page, live_server, *, browser_audio: bool = False):
    """A guest on /join and a host, connected by the number, both on video."""
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    host = console_host(new_page, live_server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    if browser_audio:
        assert host.evaluate(SET_OPTIONS, {"browser_audio": True}) == 200
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
    return guest, host


def test_the_guest_sees_their_camera_before_joining(new_page, live_server):
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")

    check = guest.locator("#device-check")
    expect(check.get_by_role("heading", name="カメラとマイクの確認")).to_be_visible()
    expect(guest.locator("#device-check-status")).to_have_text("カメラが使えます。")
    assert frames(guest, "#device-check-video") >= 10
    # Voice stays on the phone: no microphone, no meter.
    expect(guest.get_by_text("マイクの音量")).to_be_hidden()
    assert (
        guest.evaluate(
            "document.getElementById('device-check-video').srcObject.getAudioTracks().length"
        )
        == 0
    )

    # Joining lets go of the camera the check held.
    guest.evaluate(
        "window.checkTracks = document.getElementById('device-check-video').srcObject.getTracks()"
    )
    get_number(guest)
    guest.wait_for_function("() => window.checkTracks.every((t) => t.readyState === 'ended')")


def test_with_browser_audio_the_guest_checks_the_microphone_on_the_link(new_page, live_server):
    host = console_host(new_page, live_server)
    host.get_by_label("お客様の携帯電話番号").fill("090-5000-0014")
    host.get_by_role("button", name="SMS を送って開始").click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    assert host.evaluate(SET_OPTIONS, {"browser_audio": True}) == 200
    meeting_url = host.url
    host.get_by_role("navigation").get_by_role("link", name="SMS 送信箱").click()
    link = (
        host.locator("table.outbox tbody tr")
        .first.get_by_role("link", name="リンクを開く")
        .get_attribute("href")
    )
    host.goto(meeting_url)
    guest = new_page(**PHONE)
    guest.goto(link)

    expect(guest.locator("#device-check-status")).to_have_text("カメラとマイクが使えます。")
    expect(guest.get_by_text("マイクの音量")).to_be_visible()
    guest.get_by_role("checkbox").check()  # a tap: the page may play audio now
    guest.wait_for_function(METER_MOVES)  # the fake microphone's beep


@pytest.mark.parametrize(
    ("user_agent", "first_step"),
    [
        (IPHONE, "アドレスバーの「ぁあ」をタップし、「Web サイトの設定」を開きます。"),
        (ANDROID, "アドレスバー左のアイコンをタップし、「権限」を開きます。"),
        (DESKTOP_CHROME, "アドレスバー左のアイコン（サイト情報）をクリックします。"),
    ],
    ids=["safari-ios", "chrome-android", "chrome-desktop"],
)
def test_a_refused_camera_is_explained_with_that_browsers_steps(
    new_page, live_server, user_agent, first_step
):
    guest = new_page(**PHONE, user_agent=user_agent)
    guest.add_init_script(REFUSE_CAMERA)
    guest.goto(live_server.url + "/join")

    expect(guest.locator("#device-check-status")).to_have_text(
        "カメラの使用が許可されていません。次の手順で許可してください。"
    )
    steps = guest.locator("#device-check .device-check-steps:visible")
    expect(steps).to_have_count(1)
    expect(steps.get_by_role("listitem").first).to_have_text(first_step)

    guest.evaluate("window.refuseCamera = false")  # allowed in the browser's settings
    guest.get_by_role("button", name="再度テストを行う").click()

    expect(guest.locator("#device-check-status")).to_have_text("カメラが使えます。")
    expect(steps).to_have_count(0)
    assert frames(guest, "#device-check-video") >= 10


def test_the_host_checks_camera_and_microphone_in_the_room(new_page, live_server):
    _guest, host = connect(new_page, live_server, browser_audio=True)

    host.get_by_role("button", name="カメラとマイク").click()

    panel = host.locator("#panel-devices")
    expect(panel.locator("#device-check-status")).to_have_text("カメラとマイクが使えます。")
    assert frames(host, "#device-check-video") >= 10
    host.wait_for_function(METER_MOVES)
    # The browser's cameras and microphones to pick from.
    expect(panel.get_by_label("マイク", exact=True).locator("option")).not_to_have_count(1)
    expect(panel.get_by_label("カメラ", exact=True).locator("option")).not_to_have_count(1)


def test_the_host_picks_another_microphone_and_the_call_uses_it(new_page, live_server):
    guest, host = connect(new_page, live_server, browser_audio=True)
    host.get_by_role("button", name="カメラとマイク").click()
    picker = host.locator("#panel-devices").get_by_label("マイク", exact=True)
    expect(picker.locator("option")).not_to_have_count(1)
    choice = picker.locator("option").last
    label = choice.inner_text()

    picker.select_option(choice.get_attribute("value"))

    expect(host.locator("#devices-note")).to_have_text("通話のカメラとマイクを切り替えました。")
    host.wait_for_function(
        "(label) => document.getElementById('local-video').srcObject"
        ".getAudioTracks().some((t) => t.label === label && t.readyState === 'live')",
        arg=label,
    )
    # Remembered: the next page opens the same one.
    host.reload()
    host.wait_for_function(
        "(label) => document.getElementById('local-video').srcObject"
        "?.getAudioTracks().some((t) => t.label === label)",
        arg=label,
    )
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "connected")


def test_a_muted_microphone_is_shown_on_the_other_side(new_page, live_server):
    guest, host = connect(new_page, live_server, browser_audio=True)
    mute = guest.get_by_role("button", name="マイクをオフにする")
    expect(mute).to_be_visible()
    # The guest's voice reaches the host's page.
    host.wait_for_function(
        "() => document.getElementById('remote-video').srcObject?.getAudioTracks().length === 1"
    )

    mute.click()

    unmute = guest.get_by_role("button", name="マイクをオンにする")
    expect(unmute).to_have_attribute("aria-pressed", "false")  # shown with a red slash
    expect(host.get_by_text("相手のマイクはオフです")).to_be_visible()

    unmute.click()
    expect(host.get_by_text("相手のマイクはオフです")).to_be_hidden()

    host.get_by_role("button", name="マイクをオフにする").click()
    expect(guest.get_by_text("相手のマイクはオフです")).to_be_visible()


def test_without_browser_audio_no_microphone_is_opened(new_page, live_server):
    guest, host = connect(new_page, live_server)

    for page in (guest, host):
        expect(page.get_by_role("button", name="マイクをオフにする")).to_be_hidden()
        assert (
            page.evaluate(
                "document.getElementById('local-video').srcObject.getAudioTracks().length"
            )
            == 0
        )


def test_reloading_the_live_video_reconnects_with_fresh_credentials(new_page, live_server):
    guest, host = connect(new_page, live_server)
    before = host.evaluate(
        "document.getElementById('remote-video').srcObject.getVideoTracks()[0].id"
    )

    # The ICE servers (and TURN credentials) are asked for again first.
    with host.expect_request(re.compile(r"/api/v1/meetings/\d+/call$")):
        host.get_by_role("button", name="ライブの再読み込み").click()

    host.wait_for_function(
        "(before) => document.getElementById('remote-video').srcObject"
        "?.getVideoTracks()[0]?.id !== before",
        arg=before,
    )
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        assert frames(page) >= 10


def test_the_host_asks_for_the_guests_camera_in_high_quality(new_page, live_server):
    guest, host = connect(new_page, live_server)
    guest_height = (
        "document.getElementById('local-video').srcObject.getVideoTracks()[0].getSettings().height"
    )
    assert guest.evaluate(guest_height) == 480
    # Both pages share this browser's one fake camera, which keeps the format
    # it was first opened with while anyone uses it: the host's goes first.
    host.get_by_role("button", name="カメラをオフにする").click()

    host.get_by_role("button", name="お客様のカメラを高画質に").click()

    expect(host.locator("#video-menu-note")).to_have_text(
        "お客様のカメラは高画質（720p）になりました。"
    )
    assert guest.evaluate(guest_height) == 720
    assert frames(host) >= 10  # the new camera goes out on the same connection


def test_the_host_stops_the_guests_camera_and_the_guest_turns_it_on_again(new_page, live_server):
    guest, host = connect(new_page, live_server)

    host.get_by_role("button", name="お客様のカメラを停止").click()

    notice = guest.locator("#camera-stopped")
    expect(notice).to_have_text(re.compile("担当者があなたのカメラを停止しました。"))
    expect(guest.locator("#video-stage")).to_have_attribute("data-camera", "off")
    expect(host.get_by_text("相手のカメラはオフです")).to_be_visible()

    notice.get_by_role("button", name="カメラをオンにする").click()

    expect(notice).to_be_hidden()
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-camera", "on")
    assert frames(host) >= 10


def test_browser_audio_turned_on_and_off_during_the_call(new_page, live_server):
    guest, host = connect(new_page, live_server)
    expect(guest.get_by_role("button", name="マイクをオフにする")).to_be_hidden()

    assert host.evaluate(SET_OPTIONS, {"browser_audio": True}) == 200

    for page in (guest, host):
        expect(page.get_by_role("button", name="マイクをオフにする")).to_be_visible()
    host.wait_for_function(
        "() => document.getElementById('remote-video').srcObject"
        "?.getAudioTracks().some((t) => t.readyState === 'live')"
    )
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")

    assert host.evaluate(SET_OPTIONS, {"browser_audio": False}) == 200

    for page in (guest, host):
        expect(page.get_by_role("button", name="マイクをオフにする")).to_be_hidden()
        # The microphone is closed, not just muted; the video goes on.
        page.wait_for_function(
            "() => document.getElementById('local-video').srcObject"
            ".getAudioTracks().every((t) => t.readyState === 'ended')"
        )
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
    assert frames(host) >= 10
