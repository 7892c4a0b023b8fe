"""Recording in real browsers with fake cameras (issue #14): the guest is
asked and can refuse; an agreed recording shows 録画中 on both sides, and
its file, made by the server from the host's chunks, plays with both
cameras; a closed host page, the end of the meeting and the maximum length
each stop it, keeping what was recorded.

The server here has a short lost-host timeout (8 s, above the 3 s timeslice), and a second one a
maximum of 0.1 minute (6 s): TSUNAGU_RECORDING_MAX_MINUTES takes fractions
for such tests."""

from __future__ import annotations

import io
import re
import time
from array import array

import av
import pytest
from PIL import ImageStat
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.live_server import start_server
from tests.test_meeting_browser import PHONE, get_number
from tests.test_snippet_browser import Guest as SnippetGuest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def recording_server(tmp_path_factory):
    server = start_server(
        tmp_path_factory.mktemp("recording"),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
        TSUNAGU_RECORDING_LOST_SECONDS="8",
    )
    yield server
    server.stop()


def connect(new_page, server):
    """A guest on /join and a host on the call with them, the recording tool open."""
    guest = new_page(**PHONE)
    guest.goto(server.url + "/join")
    host = console_host(new_page, server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
    host.get_by_role("button", name="録画", exact=True).click()
    return guest, host


def start_agreed(guest, host):
    """The host starts; the guest agrees in the prompt; the recording runs."""
    host.get_by_role("button", name="録画を開始").click()
    expect(guest.get_by_role("alertdialog")).to_be_visible()
    guest.get_by_role("button", name="同意する").click()
    expect(host.locator("#recording-indicator")).to_be_visible()


def recordings(request, meeting_url: str) -> list[dict]:
    base, meeting_id = meeting_url.split("/meetings/")
    return request.get(f"{base}/api/v1/meetings/{meeting_id}/recordings").json()["recordings"]


def wait_ready(host, meeting_url: str | None = None, deadline: float = 30) -> dict:
    """The recording's file, once the server has made it (polled: nothing on
    the page shows it while the host's page is gone)."""
    meeting_url = meeting_url or host.url
    end = time.monotonic() + deadline
    found: list[dict] = []
    while time.monotonic() < end:
        found = recordings(host.request, meeting_url)
        if found and found[-1]["state"] in ("ready", "failed"):
            return found[-1]
        time.sleep(0.3)
    raise AssertionError(f"no file in {deadline} s: {found}")


def played(host, recording: dict) -> av.container.InputContainer:
    base = host.url.split("/meetings/")[0]
    data = host.request.get(base + recording["file_url"]).body()
    return av.open(io.BytesIO(data))


def test_a_guest_who_refuses_keeps_the_recording_from_starting_one_who_agrees_sees_it(
    new_page, recording_server
):
    guest, host = connect(new_page, recording_server)

    host.get_by_role("button", name="録画を開始").click()

    prompt = guest.get_by_role("alertdialog")
    expect(prompt).to_contain_text("担当者が通話の録画を始めようとしています")
    # Held until the guest answers: the host gets no picture from them.
    expect(guest.locator("#video-stage")).to_have_class(re.compile("recording-hidden"))
    assert guest.evaluate(
        "document.getElementById('local-video').srcObject.getTracks().every(t => !t.enabled)"
    )
    expect(host.locator("#recording-state")).to_have_text("お客様 1 に同意をお願いしています…")
    prompt.get_by_role("button", name="同意しない").click()

    expect(host.locator("#recording-state")).to_have_text(
        "お客様 1 が録画に同意しませんでした。録画は開始されません。"
    )
    expect(guest.get_by_text("録画に同意しませんでした。担当者にお伝えしました。")).to_be_visible()
    assert guest.evaluate(
        "document.getElementById('local-video').srcObject.getTracks().every(t => t.enabled)"
    )
    expect(host.locator("#recording-indicator")).to_be_hidden()
    expect(host.locator("#recording-consents")).to_have_text("お客様 1: 未同意")

    start_agreed(guest, host)

    for page in (host, guest):
        expect(page.get_by_text("録画中", exact=True)).to_be_visible()
    expect(host.locator("#recording-consents")).to_have_text("お客様 1: 同意済み")


RECORDER_TIMES = """() => {
  window.recorderTimes = {};
  const start = MediaRecorder.prototype.start;
  MediaRecorder.prototype.start = function (...args) {
    this.addEventListener("start", () => { window.recorderTimes.start = performance.now(); });
    this.addEventListener("stop", () => { window.recorderTimes.stop = performance.now(); });
    return start.apply(this, args);
  };
}"""


def test_twenty_seconds_recorded_play_back_with_both_cameras_for_as_long(
    new_page, recording_server
):
    guest, host = connect(new_page, recording_server)
    # The recorder's own start and stop, as the host's page saw them.
    host.evaluate(RECORDER_TIMES)
    start_agreed(guest, host)
    # A chunk every 3 s: the seventh has left the page after about 21 s.
    with host.expect_response(lambda r: r.url.endswith("/chunks/6"), timeout=40_000):
        pass
    host.get_by_role("button", name="録画を停止").click()

    expect(guest.locator("#recording-badge")).to_be_hidden()
    expect(host.locator("#recording-list li[data-state=ready]")).to_contain_text("ダウンロード")
    length = host.evaluate("window.recorderTimes.stop - window.recorderTimes.start") / 1000
    assert length > 20
    recording = wait_ready(host)
    with played(host, recording) as file:
        assert abs(file.duration / 1e6 - length) < 1
        assert abs(recording["duration"] - length) < 1
        # A picture every 2 s, by the frames' timestamps.
        stream = file.streams.video[0]
        pictures, due = [], 1.0
        for frame in file.decode(stream):
            if frame.pts is None or frame.pts * stream.time_base < due:
                continue
            pictures.append(frame.to_image().convert("L"))
            due += 2

    def both_cameras(picture) -> bool:
        width, height = picture.size
        left = picture.crop((0, 0, width // 2, height))
        halves = left, picture.crop((width // 2, 0, width, height))
        return all(ImageStat.Stat(half).mean[0] > 20 for half in halves)  # neither is black

    assert len(pictures) >= int((length - 1) // 2)
    # Both cameras throughout (a picture may miss a beat when a busy machine
    # delays the call's video; most may not).
    assert sum(map(both_cameras, pictures)) >= len(pictures) * 0.8


def test_a_closed_host_page_keeps_the_recording_up_to_its_last_chunk(new_page, recording_server):
    guest, host = connect(new_page, recording_server)
    start_agreed(guest, host)
    with host.expect_response(lambda r: r.url.endswith("/chunks/1")):
        pass
    meeting_url, context = host.url, host.context

    host.close()

    # The guest hears the recording stop once no chunk came for the timeout.
    expect(guest.locator("#recording-badge")).to_be_hidden(timeout=20_000)
    recording = wait_ready(context, meeting_url)
    assert recording["stopped_by"] == "lost_host"
    assert recording["state"] == "ready"
    # More than the first chunk (the second is in it), nothing after the page went.
    assert 3.5 <= recording["duration"] <= 10


def test_ending_the_meeting_stops_the_recording_and_the_record_plays_it(new_page, recording_server):
    guest, host = connect(new_page, recording_server)
    start_agreed(guest, host)
    with host.expect_response(lambda r: r.url.endswith("/chunks/0")):
        pass

    with host.expect_navigation():
        host.get_by_role("button", name="ミーティングを終了").click()

    recording = wait_ready(host)
    assert recording["stopped_by"] == "end"
    host.reload()
    player = host.locator("#record-recordings video")
    expect(player).to_be_visible()
    expect(host.locator("#record-recordings")).to_contain_text("通話の終了で停止")
    expect(host.locator("#record-recordings")).to_contain_text("お客様 1")
    assert host.evaluate(
        """() => new Promise((resolve) => {
          const video = document.querySelector('#record-recordings video');
          if (video.readyState >= 1) resolve(video.duration);
          video.addEventListener('loadedmetadata', () => resolve(video.duration));
        })"""
    ) == pytest.approx(recording["duration"], abs=0.5)


def test_a_recording_stops_by_itself_at_the_maximum_length_with_both_voices(
    new_page, tmp_path_factory
):
    server = start_server(
        tmp_path_factory.mktemp("recording-max"),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
        TSUNAGU_RECORDING_MAX_MINUTES="0.1",
        TSUNAGU_VIDEO_AUDIO="true",  # voices in the browser: they are recorded too
    )
    try:
        guest, host = connect(new_page, server)
        start_agreed(guest, host)

        expect(host.locator("#recording-indicator")).to_be_hidden(timeout=15_000)

        expect(guest.locator("#recording-badge")).to_be_hidden()
        recording = wait_ready(host)
        assert recording["stopped_by"] == "timeout"
        assert abs(recording["duration"] - 6) < 1
        expect(host.locator("#recording-list")).to_contain_text("最大時間で停止")
        with played(host, recording) as file:
            (sound,) = file.streams.audio
            assert sound.codec_context.name == "opus"
            frames = list(file.decode(sound))
        heard = sum(frame.samples for frame in frames) / sound.sample_rate
        assert abs(heard - recording["duration"]) < 1
        # Not silence: the fake microphones' beeps are in it.
        loudest = max(max(map(abs, array("f", bytes(f.planes[0])))) for f in frames)
        assert loudest > 0.05
    finally:
        server.stop()


def test_a_snippet_guest_sees_recording_in_the_bar(new_page, recording_server):
    """A snippet guest is never on camera (nothing to agree to); their bar
    says 録画中 while the host records."""
    guest = SnippetGuest(new_page(**PHONE), recording_server)
    guest.page.goto(recording_server.demo_url + "/")
    number = guest.number()
    host = console_host(new_page, recording_server)
    type_number(host, number)
    expect(guest.bar()).to_contain_text("接続中")
    # The meeting view is live (its scripts run and have heard the guest).
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")
    host.get_by_role("button", name="録画", exact=True).click()

    host.get_by_role("button", name="録画を開始").click()

    expect(guest.bar()).to_contain_text("録画中")
    host.get_by_role("button", name="録画を停止").click()
    expect(guest.bar()).not_to_contain_text("録画中")


OPTIONS_AND_LINK = """async (id) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const headers = {"content-type": "application/json", "x-csrf-token": csrf};
  const options = await fetch(`/api/v1/meetings/${id}/options`, {
    method: "PATCH", headers, body: JSON.stringify({waiting_room: true}),
  });
  if (!options.ok) throw new Error(`options: ${options.status}`);
  const link = await fetch(`/api/v1/meetings/${id}/links`, {method: "POST", headers, body: "{}"});
  return (await link.json()).url;
}"""


def test_a_guest_let_in_from_the_waiting_room_while_recording_is_asked_first(
    new_page, recording_server
):
    first, host = connect(new_page, recording_server)
    start_agreed(first, host)
    meeting_id = int(host.url.rsplit("/", 1)[1])
    url = host.evaluate(OPTIONS_AND_LINK, meeting_id)
    # A second phone opens a link and knocks (the page loads while waiting).
    second = new_page(**PHONE)
    second.goto(url)
    second.get_by_role("checkbox").check()
    second.get_by_role("button", name="入室をリクエスト").click()
    expect(second.get_by_role("heading", name="担当者の入室許可をお待ちください")).to_be_visible()

    host.locator("#waiting-guests li").get_by_role("button", name="入室を許可").click()

    prompt = second.get_by_role("alertdialog")
    expect(prompt).to_contain_text("担当者が通話の録画を始めようとしています")
    expect(second.locator("#video-stage")).to_have_class(re.compile("recording-hidden"))
    # The host moves the call's video to them: the camera starts, held (it
    # sends nothing) until the guest agrees.
    host.get_by_role("button", name="ビデオをこのお客様に").click()
    second.wait_for_function(
        """() => {
          const stream = document.getElementById('local-video').srcObject;
          return stream && stream.getTracks().length > 0
            && stream.getTracks().every(t => !t.enabled);
        }"""
    )
    prompt.get_by_role("button", name="同意する").click()

    expect(prompt).to_be_hidden()
    for page in (first, second, host):
        expect(page.get_by_text("録画中", exact=True)).to_be_visible()
    second.wait_for_function(
        "document.getElementById('local-video').srcObject.getTracks().every(t => t.enabled)"
    )


def loudest_after(file, since: float) -> float:
    """The loudest sample of the file's voices from ``since`` seconds on."""
    (sound,) = file.streams.audio
    loud = 0.0
    for frame in file.decode(sound):
        if frame.pts is None or frame.pts * sound.time_base < since:
            continue
        loud = max(loud, max(map(abs, array("f", bytes(frame.planes[0])))))
    return loud


def test_the_voices_stay_in_the_recording_after_the_host_turns_the_camera_off_and_on(
    new_page, tmp_path_factory
):
    server = start_server(
        tmp_path_factory.mktemp("recording-voices"),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
        TSUNAGU_VIDEO_AUDIO="true",
    )
    try:
        guest, host = connect(new_page, server)
        # Only the host's microphone is heard: the guest's is off.
        guest.get_by_role("button", name="マイクをオフにする").click()
        expect(guest.get_by_role("button", name="マイクをオンにする")).to_be_visible()
        start_agreed(guest, host)
        with host.expect_response(lambda r: r.url.endswith("/chunks/0")):
            pass

        # Turned on again, the camera comes with a new microphone track.
        host.get_by_role("button", name="カメラをオフにする").click()
        expect(host.locator("#video-stage")).to_have_attribute("data-camera", "off")
        host.get_by_role("button", name="カメラをオンにする").click()
        expect(host.locator("#video-stage")).to_have_attribute("data-camera", "on")
        host.wait_for_function(
            "document.getElementById('local-video').srcObject.getAudioTracks()"
            ".some(t => t.readyState === 'live')"
        )
        # The chunk after the new microphone: the toggle ended before it left.
        with host.expect_response(lambda r: "/chunks/" in r.url) as sent:
            pass
        after = int(sent.value.url.rsplit("/", 1)[1])
        with host.expect_response(lambda r: r.url.endswith(f"/chunks/{after + 2}"), timeout=20_000):
            pass
        host.get_by_role("button", name="録画を停止").click()

        recording = wait_ready(host)
        assert recording["state"] == "ready"
        with played(host, recording) as file:
            # From the end of that chunk on (a 3 s timeslice): the beeps of the
            # host's fake microphone, not silence.
            assert loudest_after(file, (after + 1) * 3) > 0.05
    finally:
        server.stop()


def test_a_recording_stopped_in_another_tab_stops_in_the_recording_tab(new_page, recording_server):
    guest, host = connect(new_page, recording_server)
    start_agreed(guest, host)
    other = host.context.new_page()
    other.set_viewport_size({"width": 1280, "height": 800})
    other.goto(host.url)
    other.get_by_role("button", name="録画", exact=True).click()
    expect(other.locator("#recording-indicator")).to_be_visible()
    with host.expect_response(lambda r: "/chunks/" in r.url):
        pass  # something recorded

    other.get_by_role("button", name="録画を停止").click()

    # The tab that records stops too: 録画中 goes everywhere.
    for page in (host, other):
        expect(page.locator("#recording-indicator")).to_be_hidden()
    expect(guest.locator("#recording-badge")).to_be_hidden()
    expect(host.get_by_role("button", name="録画を開始")).to_be_enabled()
    recording = wait_ready(host)
    assert recording["state"] == "ready"
    assert recording["stopped_by"] == "host"
