"""Video relayed by a real coturn, as over the internet: relay-only ICE
(TSUNAGU_ICE_RELAY_ONLY) connects through it with the right shared secret,
and with a wrong one both pages say the video cannot connect, the host's
naming the cause, instead of 「ビデオを接続しています…」 for ever."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.coturn import start_coturn
from tests.live_server import free_port, start_server
from tests.test_meeting_browser import PHONE, get_number
from tests.test_video_browser import frames

pytestmark = pytest.mark.browser

SECRET = "north-wind-and-the-sun"


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    server = start_coturn(tmp_path_factory.mktemp("coturn"), SECRET)
    yield server
    server.stop()


def tsunagu_with_turn(tmp_path_factory, coturn, secret: str):
    return start_server(
        tmp_path_factory.mktemp("live-turn"),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
        TSUNAGU_TURN_URLS=coturn.url,
        TSUNAGU_TURN_SECRET=secret,
        TSUNAGU_ICE_RELAY_ONLY="true",
    )


@pytest.fixture(scope="module")
def relayed_server(tmp_path_factory, coturn):
    server = tsunagu_with_turn(tmp_path_factory, coturn, SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def misconfigured_server(tmp_path_factory, coturn):
    server = tsunagu_with_turn(tmp_path_factory, coturn, "not-the-secret")
    yield server
    server.stop()


# Before the page's scripts: every peer connection the page makes, kept
# so the test can ask which route the media took.
KEEP_CONNECTIONS = """
const Real = RTCPeerConnection;
window.peerConnections = [];
window.RTCPeerConnection = function (...args) {
  const pc = new Real(...args);
  window.peerConnections.push(pc);
  return pc;
};
window.RTCPeerConnection.prototype = Real.prototype;
"""

# The candidate types (host, srflx, relay) at both ends of the pair in use.
ROUTE = """async () => {
  const pc = window.peerConnections.filter((p) => p.connectionState === "connected").pop();
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === "transport" && s.selectedCandidatePairId) {
      const pair = stats.get(s.selectedCandidatePairId);
      return [stats.get(pair.localCandidateId).candidateType,
              stats.get(pair.remoteCandidateId).candidateType];
    }
  }
  return null;
}"""


def meet(new_page, server):
    guest = new_page(**PHONE)
    guest.add_init_script(KEEP_CONNECTIONS)
    guest.goto(server.url + "/join")
    host = console_host(new_page, server)
    host.add_init_script(KEEP_CONNECTIONS)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return guest, host


def test_relay_only_video_connects_through_coturn(new_page, relayed_server):
    guest, host = meet(new_page, relayed_server)

    for page in (guest, host):
        expect(page.locator("#video-stage")).to_have_attribute("data-state", "connected")
        expect(page.locator("#video-status")).to_have_text("ビデオ接続中")
        assert frames(page) >= 10
    # The media goes through coturn's relays, at both ends.
    assert host.evaluate(ROUTE) == ["relay", "relay"]
    assert guest.evaluate(ROUTE) == ["relay", "relay"]


def test_a_wrong_turn_secret_is_shown_on_both_sides_with_its_cause(new_page, misconfigured_server):
    guest, host = meet(new_page, misconfigured_server)

    # Not "connecting" for ever: the page gives up after about 10 s (the time
    # is measured by bench/video.py --turn; the test allows a busy machine 20 s).
    expect(host.locator("#video-stage")).to_have_attribute("data-state", "failed", timeout=20_000)
    expect(host.locator("#video-status")).to_contain_text(
        "TURN サーバーが認証情報を拒否しました（401）"
    )
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "failed", timeout=20_000)
    expect(guest.locator("#video-status")).to_have_text(
        "ビデオをつなげません。Wi-Fi とモバイル通信を切り替えるか、ページを再読み込みしてください。"
        "続く場合は管理者に TURN サーバーの設定を確認してもらってください。"
    )


@pytest.fixture(scope="module")
def unreachable_server(tmp_path_factory):
    # A TURN URL where nothing listens: the browsers' allocations go unanswered.
    server = start_server(
        tmp_path_factory.mktemp("live-no-turn"),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
        TSUNAGU_TURN_URLS=f"turn:127.0.0.1:{free_port()}?transport=udp",
        TSUNAGU_TURN_SECRET=SECRET,
        TSUNAGU_ICE_RELAY_ONLY="true",
    )
    yield server
    server.stop()


def test_an_unreachable_turn_server_is_named_on_the_hosts_page(new_page, unreachable_server):
    guest, host = meet(new_page, unreachable_server)

    expect(host.locator("#video-stage")).to_have_attribute("data-state", "failed", timeout=20_000)
    expect(host.locator("#video-status")).to_contain_text(
        "TURN / STUN サーバーに届きません（応答がないか 701）"
    )
    expect(guest.locator("#video-stage")).to_have_attribute("data-state", "failed", timeout=20_000)
