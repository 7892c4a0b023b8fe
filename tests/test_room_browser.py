"""The live meeting room in real browsers: the host at 1280x800 sees one
screen (stage, tool rail, side column) that follows the meeting as guests
on phones (390x844) arrive, captures come in and the meeting ends."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_capture_ingest import encoded, picture
from tests.test_meeting_browser import PHONE, get_number
from tests.test_snippet_browser import Guest, site_with_pages
from tests.test_video_browser import frames

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 800}

# Before the page's scripts: count the times the page opens a camera.
COUNT_CAMERAS = """
window.cameraOpens = 0;
const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => {
  window.cameraOpens += 1;
  return realGetUserMedia(constraints);
};
"""

# Before the page's scripts: count the tones the page plays.
COUNT_TONES = """
window.tones = 0;
const realOscillator = BaseAudioContext.prototype.createOscillator;
BaseAudioContext.prototype.createOscillator = function () {
  window.tones += 1;
  return realOscillator.call(this);
};
"""

# Whether a box has scrolled down, checked on each frame (a keyboard
# scroll may be animated), for at most a few hundred frames.
SCROLLED = """(box) => new Promise((resolve) => {
  let left = 300;
  const check = () => {
    if (box.scrollTop > 0 || left-- === 0) resolve(box.scrollTop > 0);
    else requestAnimationFrame(check);
  };
  check();
})"""


@pytest.fixture(scope="module")
def shop(live_server):
    """Pages of a customer's site with its snippet: where screen support starts."""
    served = site_with_pages(live_server, "Room test pages", [])
    yield served
    served.stop()


def laptop_host(new_page, live_server):
    host = console_host(new_page, live_server)
    assert host.viewport_size == LAPTOP
    return host


def api_guest(live_server, site=None) -> tuple[httpx.Client, str]:
    """A guest through the API (a snippet guest when ``site`` is given): its
    client and the number it got."""
    guest = httpx.Client(base_url=live_server.url)
    if site is None:
        issued = guest.post("/api/v1/guest/numbers").json()
    else:
        issued = guest.post(
            "/api/v1/guest/numbers",
            json={"site_key": site.site_key},
            headers={"origin": site.origin},
        ).json()
    guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
    return guest, issued["number"]


def send(guest, title: str, url: str, size=(390, 844)) -> dict:
    response = guest.post(
        "/api/v1/guest/captures",
        data={"url": url, "title": title, "viewport_width": "390", "viewport_height": "844"},
        files={"image": ("s.png", encoded(picture(size), "PNG"), "image/png")},
    )
    assert response.status_code == 201, response.text
    return response.json()


def start(host, number: str) -> None:
    """The host types the guest's number and the meeting's room opens."""
    type_number(host, number)
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    # The page's script runs (the rail answers keys from then on): the
    # elapsed time shows.
    expect(host.locator("#elapsed")).not_to_have_text("—")


def no_page_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")


def test_the_stage_follows_a_snippet_guest_then_a_phone_guest_on_video(new_page, live_server, shop):
    guest = Guest(new_page(**PHONE), live_server)
    guest.page.goto(shop.url("shop.html"))
    number = guest.number()
    host = laptop_host(new_page, live_server)
    host.context.grant_permissions(["clipboard-read", "clipboard-write"])
    host.add_init_script(COUNT_CAMERAS)
    start(host, number)
    expect(guest.bar()).to_contain_text("接続中")
    stage = host.locator("#stage")
    expect(stage).to_have_attribute("data-layout", "empty")
    expect(host.locator("#no-captures")).to_contain_text("お客様が送信ボタンを押すと")
    # Screen support only: inviting is a closed tool on the rail, not a box.
    invite = host.get_by_role("button", name="リンクで招待")
    expect(invite).to_have_attribute("aria-expanded", "false")
    expect(host.get_by_text("SMS は送信箱モードです")).to_be_hidden()

    guest.send_button().click()

    expect(stage).to_have_attribute("data-layout", "capture")
    expect(host.locator("#capture-title")).to_have_text(guest.page.title())
    expect(host.locator("#capture-image")).to_be_in_viewport()
    expect(host.locator("#video-card")).to_be_hidden()
    # A snippet guest cannot show video: the host's camera stays off.
    expect(host.locator("#video-stage")).to_have_attribute("data-camera", "off")
    assert host.evaluate("window.cameraOpens") == 0

    # A phone joins by link: video next to the capture.
    invite.click()
    host.get_by_role("button", name="リンクをコピー").click()
    expect(host.locator("#link-url")).to_have_text(re.compile(r"/j/"))
    link = host.locator("#link-url").inner_text()
    host.keyboard.press("Escape")
    phone = new_page(**PHONE)
    phone.goto(link)
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="参加する").click()

    expect(stage).to_have_attribute("data-layout", "both")
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    expect(host.locator("#video-stage")).to_have_attribute("data-camera", "on")
    assert host.evaluate("window.cameraOpens") == 1
    assert frames(host) >= 10
    assert frames(phone) >= 10  # the guest sees the host
    capture_box = host.locator("#capture-main").bounding_box()
    video_box = host.locator("#video-card").bounding_box()
    assert capture_box["x"] + capture_box["width"] <= video_box["x"]  # side by side
    assert abs(capture_box["y"] - video_box["y"]) < 2
    expect(host.locator("#capture-image")).to_be_in_viewport()
    expect(host.locator("#remote-video")).to_be_in_viewport()
    assert no_page_scroll(host)


def test_a_phone_meeting_puts_the_guests_camera_on_the_stage(new_page, live_server):
    phone = new_page(**PHONE)
    phone.goto(live_server.url + "/join")
    host = laptop_host(new_page, live_server)
    host.add_init_script(COUNT_CAMERAS)
    start(host, get_number(phone))

    expect(host.locator("#stage")).to_have_attribute("data-layout", "video")
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    expect(host.locator("#capture-main")).to_be_hidden()
    expect(host.locator("#remote-video")).to_be_in_viewport()
    assert frames(host) >= 10
    assert host.evaluate("window.cameraOpens") == 1


def test_the_host_turns_the_camera_on_without_a_video_guest(new_page, live_server, shop):
    _, number = api_guest(live_server, shop)
    host = laptop_host(new_page, live_server)
    start(host, number)
    expect(host.locator("#stage")).to_have_attribute("data-layout", "empty")

    host.get_by_role("button", name="カメラをオンにする").click()

    expect(host.locator("#stage")).to_have_attribute("data-layout", "video")
    expect(host.locator("#video-stage")).to_have_attribute("data-camera", "on")
    assert frames(host, "#local-video") >= 10
    host.get_by_role("button", name="カメラをオフにする").click()
    expect(host.locator("#stage")).to_have_attribute("data-layout", "empty")
    expect(host.get_by_role("button", name="カメラをオンにする")).to_be_visible()


def test_a_capture_arriving_comes_into_view_and_counts_in_the_title_until_seen(
    new_page, live_server
):
    guest, number = api_guest(live_server)
    host = laptop_host(new_page, live_server)
    start(host, number)
    title = host.title()
    assert title.startswith("ミーティング #")
    for index in range(8):  # wide pictures: more thumbnails than the strip shows
        send(guest, f"ページ {index}", f"https://shop.example/{index}", size=(1280, 720))
    thumbnails = host.locator("#capture-strip button")
    expect(thumbnails).to_have_count(8)
    host.locator("#capture-strip").evaluate("strip => { strip.style.scrollBehavior = 'auto'; }")
    host.locator("#capture-strip").evaluate("strip => { strip.scrollLeft = strip.scrollWidth; }")
    expect(thumbnails.first).not_to_be_in_viewport()
    # The host turns to another tab (the page loses the focus).
    session = host.context.new_cdp_session(host)
    session.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other_tab = host.context.new_page()
    other_tab.bring_to_front()

    send(guest, "お届け先", "https://shop.example/address", size=(1280, 720))
    send(guest, "お支払い", "https://shop.example/pay", size=(1280, 720))

    expect(host.locator("#capture-title")).to_have_text("お支払い")
    expect(thumbnails).to_have_count(10)
    expect(thumbnails.first).to_be_in_viewport()
    expect(thumbnails.first).to_have_attribute("aria-current", "true")
    expect(host.locator("#capture-image")).to_be_in_viewport()
    expect(host).to_have_title(f"(2) {title}")
    expect(host.locator("#announcer")).to_have_text("新しいキャプチャ: お支払い")

    host.bring_to_front()  # the host looks again

    expect(host).to_have_title(title)
    assert no_page_scroll(host)


def test_the_chime_is_off_until_turned_on_and_stays_on(new_page, live_server):
    guest, number = api_guest(live_server)
    host = laptop_host(new_page, live_server)
    host.add_init_script(COUNT_TONES)
    start(host, number)
    chime = host.get_by_role("button", name="受信音")
    expect(chime).to_have_attribute("aria-pressed", "false")
    send(guest, "一枚目", "https://shop.example/1")
    expect(host.locator("#capture-title")).to_have_text("一枚目")
    assert host.evaluate("window.tones") == 0

    chime.click()

    expect(chime).to_have_attribute("aria-pressed", "true")
    assert host.evaluate("window.tones") == 2  # a sample of the chime
    host.reload()
    expect(chime).to_have_attribute("aria-pressed", "true")  # kept in this browser
    expect(host.locator("#capture-title")).to_have_text("一枚目")
    assert host.evaluate("window.tones") == 0  # captures already there do not chime
    send(guest, "二枚目", "https://shop.example/2")
    expect(host.locator("#capture-title")).to_have_text("二枚目")
    assert host.evaluate("window.tones") == 2


def test_one_screen_at_1280x800_with_captures_video_and_a_full_timeline(new_page, live_server):
    phone = new_page(**PHONE)
    phone.goto(live_server.url + "/join")
    host = laptop_host(new_page, live_server)
    start(host, get_number(phone))
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    # A screen-support guest joins the phone meeting (flow 2).
    guest, number = api_guest(live_server)
    host.get_by_role("button", name="画面キャプチャ").click()
    host.get_by_label("画面サポートのお客様を追加（接続番号）").fill(number)
    host.get_by_role("button", name="追加", exact=True).click()
    expect(host.locator("#ask-state")).to_have_text("お客様が画面サポートで参加しました。")
    for index in range(30):
        guest.post(
            "/api/v1/guest/pages",
            json={"url": f"https://shop.example/items/{index}", "title": f"商品 {index}"},
        )
    for index in range(6):
        send(guest, f"商品 {index}", f"https://shop.example/items/{index}")
    expect(host.locator("#capture-title")).to_have_text("商品 5")
    expect(host.locator("#visited li")).to_have_count(30)
    timeline = host.get_by_role("list", name="タイムライン")
    expect(timeline.locator("li").first).to_have_text(re.compile("キャプチャを受信: 商品 5$"))
    expect(host.locator("#stage")).to_have_attribute("data-layout", "both")

    assert no_page_scroll(host)
    for part in ("#capture-image", "#remote-video", "#timeline", "#end-meeting"):
        expect(host.locator(part)).to_be_in_viewport()
    # The timeline scrolls inside its box, by keyboard too.
    assert timeline.evaluate("list => list.scrollHeight > list.clientHeight")
    expect(timeline).to_have_attribute("tabindex", "0")
    timeline.focus()
    host.keyboard.press("End")
    assert timeline.evaluate(SCROLLED)
    # With a panel open too, still one screen.
    expect(host.locator("#panel-captures")).to_be_visible()
    assert no_page_scroll(host)


def test_tool_panels_open_one_at_a_time_and_close_with_escape(new_page, live_server):
    _, number = api_guest(live_server)
    host = laptop_host(new_page, live_server)
    start(host, number)
    captures = host.get_by_role("button", name="画面キャプチャ")
    invite = host.get_by_role("button", name="リンクで招待")
    captures_panel = host.get_by_role("region", name="画面キャプチャ")
    invite_panel = host.get_by_role("region", name="リンクで招待")
    expect(captures).to_have_attribute("aria-controls", "panel-captures")
    expect(captures_panel).to_be_hidden()

    captures.focus()
    host.keyboard.press("Enter")
    expect(captures).to_have_attribute("aria-expanded", "true")
    expect(captures_panel).to_be_visible()
    for _ in range(host.locator(".rail-button").count() - 1):
        host.keyboard.press("Tab")  # past the other tools
    host.keyboard.press("Tab")  # into the open panel
    expect(captures_panel.get_by_role("button", name="パネルを閉じる")).to_be_focused()
    host.keyboard.press("Escape")
    expect(captures_panel).to_be_hidden()
    expect(captures).to_have_attribute("aria-expanded", "false")
    expect(captures).to_be_focused()

    host.keyboard.press("Enter")
    invite.focus()
    host.keyboard.press("Space")  # one panel at a time
    expect(invite_panel).to_be_visible()
    expect(captures_panel).to_be_hidden()
    expect(captures).to_have_attribute("aria-expanded", "false")
    expect(invite).to_have_attribute("aria-expanded", "true")
    invite_panel.get_by_label("お客様の携帯電話番号").focus()
    host.keyboard.press("Escape")
    expect(invite_panel).to_be_hidden()
    expect(invite).to_be_focused()
    # The panel's own close button does the same.
    host.keyboard.press("Enter")
    invite_panel.get_by_role("button", name="パネルを閉じる").click()
    expect(invite_panel).to_be_hidden()


def test_an_ended_meeting_shows_nothing_live(new_page, live_server, shop):
    guest, number = api_guest(live_server, shop)
    host = laptop_host(new_page, live_server)
    start(host, number)
    send(guest, "カート", "https://shop.example/cart")
    expect(host.locator("#capture-title")).to_have_text("カート")
    host.get_by_role("button", name="リンクで招待").click()
    expect(host.get_by_text("SMS は送信箱モードです")).to_be_visible()

    with host.expect_navigation():  # the view becomes the meeting's record
        host.get_by_role("button", name="ミーティングを終了").click()

    expect(host.locator("#ended-banner")).to_have_text("ミーティングを終了しました。")
    # What was shown stays, in the record.
    expect(host.locator("#record-captures li")).to_have_count(1)
    expect(host.locator("#record-captures")).to_contain_text("カート")
    for name in (
        "キャプチャを依頼",
        "カメラをオンにする",
        "お客様にカメラを依頼",
        "ミーティングを終了",
        "リンクで招待",
        "受信音",
    ):
        expect(host.get_by_role("button", name=name)).to_have_count(0)
    expect(host.get_by_text("SMS は送信箱モードです")).to_have_count(0)
    expect(host.locator("video")).to_have_count(0)
    expect(host.get_by_role("button", name="画面キャプチャ")).to_have_count(0)  # no rail
    expect(host.get_by_label("画面サポートのお客様を追加（接続番号）")).to_have_count(0)


def test_a_meeting_the_guest_ends_leaves_no_live_hint_behind(new_page, live_server):
    phone = new_page(**PHONE)
    phone.goto(live_server.url + "/join")
    host = laptop_host(new_page, live_server)
    start(host, get_number(phone))
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    phone.on("dialog", lambda dialog: dialog.accept())

    with host.expect_navigation():
        phone.get_by_role("button", name="終了する").click()

    expect(host.locator("#ended-banner")).to_have_text(
        "お客様が退出したため、ミーティングは終了しました。"
    )
    expect(host.get_by_text("キャプチャはありません。")).to_be_visible()
    expect(host.get_by_role("button", name="カメラをオンにする")).to_have_count(0)
    expect(host.locator("video")).to_have_count(0)
