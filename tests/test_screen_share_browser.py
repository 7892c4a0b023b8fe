"""Screen share in real browsers (issue #15): the host shares a screen into
the call and the phone guest sees it in place of the host's camera; pausing
stops every frame at the sender and the guest sees 「一時停止中」; the
browser's own stop (the shared tab going away ends the track, as the
browser's bar does) puts the camera back; a desktop guest shares into the
host's stage; a phone guest is pointed to the capture button; a recording
made while sharing shows the screen.

Chromium's fake display capture gives the same picture as its fake camera,
so these browsers capture a tab instead: ``--auto-select-tab-capture-
source-by-title`` picks, without a prompt, the tab titled ``PATTERN_TITLE``,
a magenta page with a moving square, unlike the cameras' green. That flag
works only without ``--use-fake-ui-for-media-stream`` (which would hand out
the fake screen), so camera and microphone are granted per context."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, EXPECT_TIMEOUT_MS, console_host, type_number
from tests.test_meeting_browser import PHONE, get_number
from tests.test_recording_browser import played, start_agreed, wait_ready

pytestmark = pytest.mark.browser

PATTERN_TITLE = "Shared screen pattern"
PATTERN = f"""<!doctype html><title>{PATTERN_TITLE}</title>
<style>
  body {{ margin: 0; background: #c000c0; height: 100vh; overflow: hidden; }}
  i {{ position: absolute; top: 40%; width: 60px; height: 60px; background: #fff;
       animation: move 1s linear infinite alternate; }}
  @keyframes move {{ from {{ left: 10%; }} to {{ left: 80%; }} }}
</style><i></i>"""
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# A phone's browser: no getDisplayMedia (Safari and Chrome on phones have none).
NO_DISPLAY_MEDIA = "delete MediaDevices.prototype.getDisplayMedia;"

# The colour at the middle of a <video>'s current frame, and its size.
PICTURE = """(selector) => {
  const video = document.querySelector(selector);
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const [r, g, b] = context.getImageData(canvas.width / 2, canvas.height / 5, 1, 1).data;
  return {r, g, b, width: video.videoWidth, height: video.videoHeight};
}"""
# Whether the middle of a <video> shows the magenta pattern (the screen).
SHOWS_PATTERN = f"""(selector) => {{
  const picture = ({PICTURE})(selector);
  return Boolean(picture) && picture.r > 150 && picture.b > 150 && picture.g < 90;
}}"""
SHOWS_CAMERA = f"""(selector) => {{
  const picture = ({PICTURE})(selector);
  return Boolean(picture) && picture.g > 100 && picture.r < 90 && picture.b < 90;
}}"""
# How far the shared screen is zoomed on the stage.
SCALE = "new DOMMatrix(getComputedStyle(document.getElementById('remote-video')).transform).a"
# Whether our small picture's 「共有中」 badge is whole, on one line.
BADGE_FITS = """() => {
  const badge = document.querySelector(".screen-badge-on").getBoundingClientRect();
  const box = document.querySelector(".local-box").getBoundingClientRect();
  const line = parseFloat(getComputedStyle(document.querySelector(".screen-badge-on")).fontSize);
  return badge.right <= box.right && badge.height < 2.2 * line;
}"""
# The page's call (server/static/video.js).
CALL = '(await import("/static/video.js")).VideoCall.current'
# Video frames the call's connection has sent so far (outbound-rtp).
FRAMES_SENT = f"""async () => {{
  const call = {CALL};
  let sent = 0;
  for (const report of (await call.pc.getStats()).values()) {{
    if (report.type === "outbound-rtp" && report.kind === "video") sent += report.framesSent || 0;
  }}
  return sent;
}}"""
# framesSent over two seconds, read in the page (an observation, not a wait
# for something to happen).
FRAMES_SENT_OVER_TWO_SECONDS = f"""async () => {{
  const sent = {FRAMES_SENT};
  const before = await sent();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return [before, await sent()];
}}"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    args = [arg for arg in CHROMIUM_ARGS if arg != "--use-fake-ui-for-media-stream"]
    args.append(f"--auto-select-tab-capture-source-by-title={PATTERN_TITLE}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


@pytest.fixture
def new_page(new_page):
    """Pages whose camera and microphone are allowed (no fake prompt UI here)."""

    def open_page(**options):
        options.setdefault("permissions", ["camera", "microphone"])
        return new_page(**options)

    return open_page


def pattern_tab(page):
    """The tab a share captures, opened beside ``page``."""
    tab = page.context.new_page()
    tab.set_content(PATTERN)
    return tab


def connect(new_page, server, guest_options=PHONE, phone_browser=True):
    """A guest on /join (a phone by default) and the host on the call."""
    guest = new_page(**guest_options)
    if phone_browser:
        guest.add_init_script(NO_DISPLAY_MEDIA)
    guest.goto(server.url + "/join")
    host = console_host(new_page, server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
    return guest, host


def shows(page, script: str, selector: str = "#remote-video") -> None:
    page.wait_for_function(script, arg=selector)


def test_the_host_shares_pauses_resumes_and_the_browser_stops_it(new_page, live_server):
    guest, host = connect(new_page, live_server)
    shows(guest, SHOWS_CAMERA)  # the host's camera, before
    tab = pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()

    host.get_by_role("button", name="画面を共有").click()

    # The host's small picture is what is shared, labelled so.
    expect(host.locator("#video-stage")).to_have_attribute("data-screen", "on")
    expect(host.locator(".local-box").get_by_text("共有中")).to_be_visible()
    # ... whole, on one line, inside the small picture.
    assert host.evaluate(BADGE_FITS)
    shows(host, SHOWS_PATTERN, "#local-video")
    # The guest sees the screen in place of the host's camera.
    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-screen", "on")
    shows(guest, SHOWS_PATTERN)
    expect(guest.get_by_text("相手の共有画面")).to_be_visible()
    expect(host.locator("#screen-status")).to_have_text(
        "画面を共有しています。相手にはカメラの代わりにこの画面が見えています。"
    )
    expect(host.locator("#timeline")).to_contain_text("Admin が画面共有を開始しました")

    host.get_by_role("button", name="共有の一時停止").click()

    expect(guest.locator(".screen-paused-cover")).to_be_visible()
    expect(guest.locator(".screen-paused-cover")).to_have_text("一時停止中")
    expect(host.locator(".local-box").get_by_text("一時停止中")).to_be_visible()
    # Nothing leaves the host's device: the sender has no track, and no
    # frame is sent while paused.
    assert host.evaluate(f"async () => ({CALL}).senders.video.track") is None
    before, after = host.evaluate(FRAMES_SENT_OVER_TWO_SECONDS)
    assert after == before
    expect(host.locator("#timeline")).to_contain_text("Admin が画面共有を一時停止しました")

    host.get_by_role("button", name="共有を再開").click()

    expect(guest.locator(".screen-paused-cover")).to_be_hidden()
    host.wait_for_function(f"async (n) => (await ({FRAMES_SENT})()) > n + 10", arg=after)
    shows(guest, SHOWS_PATTERN)
    expect(host.locator("#timeline")).to_contain_text("Admin が画面共有を再開しました")

    # The shared tab goes: the browser ends the capture, as its own
    # 「共有を停止」 bar does (the track's "ended" event).
    tab.close()

    expect(host.locator("#screen-status")).to_have_text(
        "ブラウザの共有バーから共有が停止されました。"
    )
    expect(host.locator("#video-stage")).not_to_have_attribute("data-screen", re.compile("."))
    expect(host.get_by_role("button", name="画面を共有")).to_be_visible()
    expect(guest.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    shows(guest, SHOWS_CAMERA)  # the host's camera is back
    expect(host.locator("#timeline")).to_contain_text("Admin が画面共有を停止しました")


def test_a_phone_guest_zooms_the_shared_screen_and_cannot_share(new_page, live_server):
    guest, host = connect(new_page, live_server)
    # A phone has nothing to share from: no button, no block, one line that
    # opens to say how to show the screen instead.
    expect(guest.get_by_role("button", name="画面を共有")).to_have_count(0)
    expect(guest.get_by_role("heading", name="画面共有")).to_have_count(0)
    expect(guest.locator("#screen-phone-note")).to_be_hidden()
    expect(guest.locator("#screen-zoom-help")).to_be_hidden()
    guest.get_by_text("画面共有について").click()
    expect(guest.locator("#screen-phone-note")).to_be_visible()
    expect(guest.locator("#screen-phone-note")).to_contain_text(
        "スマートフォンでは画面共有はできません"
    )
    expect(guest.locator("#screen-phone-note")).to_contain_text("「この画面を送信」")
    pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()
    host.get_by_role("button", name="画面を共有").click()
    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-screen", "on")
    expect(guest.locator("#screen-zoom-help")).to_be_visible()
    # The label on the screen goes after a moment: titles are up there.
    label = guest.get_by_text("相手の共有画面")
    expect(label).to_be_visible()
    expect(label).to_be_hidden()

    # Two fingers spread on the shared screen.
    video = guest.locator("#remote-video")
    box = video.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = guest.context.new_cdp_session(guest)

    def touch(kind: str, spread: float) -> None:
        points = (
            []
            if kind == "touchEnd"
            else [
                {"x": cx - spread, "y": cy, "id": 1},
                {"x": cx + spread, "y": cy, "id": 2},
            ]
        )
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 20)
    for spread in range(30, 160, 10):
        touch("touchMove", spread)
    touch("touchEnd", 0)

    expect(guest.get_by_role("button", name="拡大を元に戻す")).to_be_visible()
    assert guest.evaluate(f"() => {SCALE}") > 1.5

    # A double tap goes back to the whole screen.
    video.tap()
    video.tap()

    expect(guest.get_by_role("button", name="拡大を元に戻す")).to_be_hidden()
    guest.wait_for_function(f"() => ({SCALE}) === 1")


def test_a_desktop_guest_shares_into_the_hosts_stage_and_stops(new_page, live_server):
    guest, host = connect(new_page, live_server, guest_options=DESKTOP, phone_browser=False)
    expect(guest.locator("#screen-phone-note")).to_be_hidden()
    shows(host, SHOWS_CAMERA)
    pattern_tab(guest)

    expect(host.get_by_role("button", name="お客様のカメラを高画質に")).to_be_visible()

    guest.get_by_role("button", name="画面を共有").click()

    expect(host.locator("#video-stage")).to_have_attribute("data-remote-screen", "on")
    shows(host, SHOWS_PATTERN)
    expect(guest.locator(".local-box").get_by_text("共有中")).to_be_visible()
    expect(host.locator("#timeline")).to_contain_text("お客様 1 が画面共有を開始しました")
    # The host's camera requests act on the guest's camera, not on a screen.
    expect(host.get_by_role("button", name="お客様のカメラを高画質に")).to_be_hidden()
    expect(host.get_by_role("button", name="お客様のカメラを停止")).to_be_hidden()

    guest.get_by_role("button", name="共有の一時停止").click()
    expect(host.locator(".screen-paused-cover")).to_be_visible()
    guest.get_by_role("button", name="共有を再開").click()
    expect(host.locator(".screen-paused-cover")).to_be_hidden()
    guest.get_by_role("button", name="共有を停止").click()

    expect(host.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    shows(host, SHOWS_CAMERA)  # the guest's camera again
    expect(host.get_by_role("button", name="お客様のカメラを高画質に")).to_be_visible()
    expect(host.get_by_role("button", name="お客様のカメラを停止")).to_be_visible()
    expect(guest.locator("#screen-status")).to_have_text("共有を停止しました。")
    timeline = host.locator("#timeline")
    for step in ("一時停止しました", "再開しました", "停止しました"):
        expect(timeline).to_contain_text(f"お客様 1 が画面共有を{step}")


def test_the_host_reloads_while_sharing_and_the_guest_sees_the_camera_again(new_page, live_server):
    guest, host = connect(new_page, live_server)
    pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()
    host.get_by_role("button", name="画面を共有").click()
    shows(guest, SHOWS_PATTERN)
    expect(guest.get_by_text("相手の共有画面")).to_be_visible()

    host.reload()

    # The guest is not left with the screen's last frame marked as shared:
    # the host's camera comes back on the new connection.
    expect(guest.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    expect(guest.get_by_text("相手の共有画面")).to_be_hidden()
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "connected")
    shows(guest, SHOWS_CAMERA)
    # The record says the share ended (nobody pressed 「共有を停止」).
    expect(host.locator("#timeline")).to_contain_text("Admin の画面共有が終わりました")
    expect(host.locator("#timeline")).not_to_contain_text("Admin が画面共有を停止しました")


def test_a_guest_who_reloads_while_sharing_is_seen_on_camera_again(new_page, live_server):
    guest, host = connect(new_page, live_server, guest_options=DESKTOP, phone_browser=False)
    pattern_tab(guest)
    guest.get_by_role("button", name="画面を共有").click()
    shows(host, SHOWS_PATTERN)
    expect(host.locator("#video-stage")).to_have_attribute("data-remote-screen", "on")

    guest.reload()

    expect(host.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "connected")
    shows(host, SHOWS_CAMERA)  # the guest's camera, live on the new page
    expect(host.get_by_role("button", name="お客様のカメラを高画質に")).to_be_visible()
    expect(host.locator("#timeline")).to_contain_text("お客様 1 の画面共有が終わりました")
    # The guest's new page shares nothing, and offers to share again.
    expect(guest.get_by_role("button", name="画面を共有")).to_be_visible()
    expect(guest.locator(".local-box").get_by_text("共有中")).to_be_hidden()


def test_the_meeting_ending_during_a_share_ends_it_in_the_record(new_page, live_server):
    guest, host = connect(new_page, live_server)
    pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()
    host.get_by_role("button", name="画面を共有").click()
    shows(guest, SHOWS_PATTERN)

    with host.expect_navigation():
        host.get_by_role("button", name="ミーティングを終了").click()

    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    expect(guest.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    # The record (the host's page once the meeting ended) shows the share
    # ending with the meeting.
    record = host.locator("main")
    expect(record).to_contain_text("Admin が画面共有を開始しました")
    expect(record).to_contain_text("Admin の画面共有が終わりました")


def magenta_share(picture: Image.Image) -> float:
    """How much of a recorded picture is the shared pattern's magenta."""
    data = picture.convert("RGB").resize((64, 36)).tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    return sum(1 for r, g, b in pixels if r > 150 and b > 150 and g < 90) / len(pixels)


def test_a_recording_made_while_sharing_shows_the_screen(new_page, live_server):
    guest, host = connect(new_page, live_server)
    host.get_by_role("button", name="録画", exact=True).click()
    start_agreed(guest, host)
    tab = pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()

    host.get_by_role("button", name="画面を共有").click()

    shows(guest, SHOWS_PATTERN)
    # Two chunks after the share began (a 3 s timeslice).
    with host.expect_response(lambda r: "/chunks/" in r.url) as sent:
        pass
    after = int(sent.value.url.rsplit("/", 1)[1])
    with host.expect_response(lambda r: r.url.endswith(f"/chunks/{after + 2}"), timeout=20_000):
        pass
    host.get_by_role("button", name="共有を停止").click()
    host.get_by_role("button", name="録画", exact=True).click()
    host.get_by_role("button", name="録画を停止").click()
    tab.close()

    recording = wait_ready(host)
    assert recording["state"] == "ready"
    with played(host, recording) as file:
        stream = file.streams.video[0]
        pictures = [
            frame.to_image()
            for frame in file.decode(stream)
            if frame.pts is not None and frame.pts * stream.time_base > (after + 1) * 3
        ]
    # The screen fills the recorded picture (the guest's camera in a corner).
    assert pictures
    assert max(map(magenta_share, pictures)) > 0.6


def test_a_host_without_a_camera_shares_a_screen_all_the_same(new_page, live_server):
    """No camera (not allowed here): there is no video sender to replace, so
    the screen gets one of its own, and the call renegotiates."""
    guest = new_page(**PHONE)
    guest.add_init_script(NO_DISPLAY_MEDIA)
    guest.goto(live_server.url + "/join")
    host = console_host(lambda **options: new_page(permissions=[], **options), live_server)
    type_number(host, get_number(guest))
    expect(host.locator("#video-stage")).to_have_attribute("data-camera", "denied")
    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-camera", "off")
    pattern_tab(host)
    host.get_by_role("button", name="画面共有", exact=True).click()

    host.get_by_role("button", name="画面を共有").click()

    expect(guest.locator("#video-stage")).to_have_attribute("data-remote-screen", "on")
    shows(guest, SHOWS_PATTERN)
    expect(guest.get_by_text("相手のカメラはオフです")).to_be_hidden()

    host.get_by_role("button", name="共有を停止").click()

    expect(guest.locator("#video-stage")).not_to_have_attribute(
        "data-remote-screen", re.compile(".")
    )
    expect(guest.get_by_text("相手のカメラはオフです")).to_be_visible()
