"""The meeting's camera video in real browsers with fake cameras: a guest on
a phone-sized page and the host at the console see each other, peer to peer."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_meeting_browser import PHONE, get_number

pytestmark = pytest.mark.browser

# Frames decoded by a <video> within 10 s, counted with requestVideoFrameCallback.
COUNT_FRAMES = """([selector, wanted]) => new Promise((resolve) => {
  const video = document.querySelector(selector);
  let seen = 0;
  const timer = setTimeout(() => resolve(seen), 10000);
  const step = () => {
    seen += 1;
    if (seen >= wanted) { clearTimeout(timer); resolve(seen); }
    else video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
})"""


# The call's state, its cameras and the other side's picture as the page goes.
NOTE_CALL_ON_LEAVING = """() => {
  const tracks = window.cameraTracks;
  addEventListener("pagehide", () => sessionStorage.setItem("callOnLeaving", JSON.stringify({
    state: document.getElementById("video-stage").dataset.state,
    cameras: tracks.map((t) => t.readyState),
    remote: document.getElementById("remote-video").srcObject,
  })));
}"""


def frames(page, selector: str = "#remote-video", wanted: int = 10) -> int:
    return page.evaluate(COUNT_FRAMES, [selector, wanted])


@pytest.fixture
def connected(new_page, live_server):
    """A guest on /join and a host, connected by the number, both on the call."""
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    host = console_host(new_page, live_server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return guest, host


def test_guest_and_host_see_each_others_camera(connected):
    guest, host = connected

    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        expect(page.locator("#video-status")).to_have_text("ビデオ接続中")
        assert frames(page) >= 10  # the picture moves, not one frozen frame
        assert page.evaluate("document.getElementById('remote-video').videoWidth") > 0


def test_a_camera_turned_off_is_shown_off_on_the_other_side_and_comes_back(connected):
    guest, host = connected
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "connected")

    host.get_by_role("button", name="カメラをオフにする").click()

    expect(host.locator("#video-stage")).to_have_attribute("data-camera", "off")
    expect(host.get_by_role("button", name="カメラをオンにする")).to_have_attribute(
        "aria-pressed", "false"
    )
    # The camera itself is stopped (its light goes out), not just hidden.
    assert host.evaluate(
        "document.getElementById('local-video').srcObject.getVideoTracks()"
        ".every(t => t.readyState === 'ended')"
    )
    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-camera", "off")
    expect(guest.get_by_text("相手のカメラはオフです")).to_be_visible()

    host.get_by_role("button", name="カメラをオンにする").click()

    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-camera", "on")
    assert frames(guest) >= 10


def test_the_host_asks_and_the_guest_turns_the_camera_on(connected):
    guest, host = connected
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "connected")
    guest.get_by_role("button", name="カメラをオフにする").click()
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-camera", "off")

    host.get_by_role("button", name="お客様にカメラを依頼").click()

    expect(guest.get_by_text("担当者がカメラをオンにするよう依頼しています。")).to_be_visible()
    expect(host.locator("#camera-request")).to_have_text(
        "お客様にカメラをオンにするよう依頼しました。"
    )
    guest.locator("#camera-asked").get_by_role("button", name="カメラをオンにする").click()
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-camera", "on")
    assert frames(host) >= 10
    # The note was about a camera that is now back: it goes, and so does the button.
    expect(host.locator("#camera-request")).to_have_text("")
    expect(host.get_by_role("button", name="お客様にカメラを依頼")).to_be_hidden()


def test_ending_closes_both_connections_and_stops_both_cameras(connected):
    guest, host = connected
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        page.evaluate(
            "window.cameraTracks = document.getElementById('local-video').srcObject.getTracks()"
        )
    # The host's page is loaded again as the meeting's record once it ends:
    # what its call had become by then is noted as the page goes.
    host.evaluate(NOTE_CALL_ON_LEAVING)

    with host.expect_navigation():
        host.get_by_role("button", name="ミーティングを終了").click()

    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "ended")
    assert guest.evaluate("window.cameraTracks.every(t => t.readyState === 'ended')")
    assert guest.evaluate("document.getElementById('remote-video').srcObject") is None
    assert json.loads(host.evaluate("sessionStorage.getItem('callOnLeaving')")) == {
        "state": "ended",
        "cameras": ["ended"],
        "remote": None,
    }
    expect(host.locator("video")).to_have_count(0)  # nothing live on the record


def test_a_guest_who_reloads_is_back_on_video(connected):
    guest, host = connected
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "connected")

    guest.reload()  # a new page, a new session: a fresh connection with the host

    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        assert frames(page) >= 10


def test_a_guest_who_came_by_sms_link_is_on_video_too(new_page, live_server):
    host = console_host(new_page, live_server)
    host.get_by_label("お客様の携帯電話番号").fill("090-5000-0001")
    host.get_by_role("button", name="SMS を送って開始").click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
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
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="参加する").click()

    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        assert frames(page) >= 10


# Before the page's scripts: a camera the person refuses, until told otherwise.
REFUSE_CAMERA = """
const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
window.refuseCamera = true;
navigator.mediaDevices.getUserMedia = (constraints) => window.refuseCamera
  ? Promise.reject(new DOMException("Permission denied", "NotAllowedError"))
  : realGetUserMedia(constraints);
"""


def test_a_guest_who_refused_the_camera_is_told_how_and_can_try_again(new_page, live_server):
    guest = new_page(**PHONE)
    guest.add_init_script(REFUSE_CAMERA)
    guest.goto(live_server.url + "/join")
    host = console_host(new_page, live_server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))

    expect(guest.locator("#camera-note")).to_contain_text("カメラの使用が許可されていません")
    retry = guest.get_by_role("button", name="もう一度カメラを試す")
    expect(retry).to_be_visible()
    # The call still comes up; with nothing from the guest, the host's own
    # camera takes the large area, and the guest sees the host.
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-video", "off")
    assert frames(guest) >= 10
    # Asked for the camera, the guest tries; the host hears that it would not open.
    host.get_by_role("button", name="お客様にカメラを依頼").click()
    guest.locator("#camera-asked").get_by_role("button", name="カメラをオンにする").click()
    expect(host.locator("#camera-request")).to_have_text(
        "お客様の端末でカメラをオンにできませんでした（許可されていないか、カメラが使えません）。"
    )

    guest.evaluate("window.refuseCamera = false")  # allowed in the browser's settings
    retry.click()

    expect(guest.locator("#camera-note")).to_be_hidden()
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-video", "on")
    assert frames(host) >= 10
    expect(host.locator("#camera-request")).to_have_text("")
