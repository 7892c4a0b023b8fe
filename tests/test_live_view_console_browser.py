"""The live view on the host's side (issue #16): the 「ライブ表示」 tool, the
stage's replay of a phone guest's page (a snippet guest on the test pages),
its page facts, delay and pause, and the host's pointer, on the live view
and on the newest capture. The host is a real console page at 1280x800."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.test_snippet_browser import UNMASKED_BY_SITE, connect, site_with_pages

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def pages(live_server):
    served = site_with_pages(live_server, "Live view console pages", [UNMASKED_BY_SITE])
    yield served
    served.stop()


class Room:
    """A host's meeting page with a phone guest of the snippet, and what the
    host's page sent on its sockets."""

    def __init__(self, new_page, live_server, url: str) -> None:
        self.sent: list[dict] = []
        self.guest, self.host = connect(new_page, live_server, url)
        self.host.on("websocket", self.watch)
        # The socket is older than the watch: a reload makes it anew, watched.
        self.host.reload()
        expect(self.host.locator("#guests .guest-status")).to_have_text("接続中")
        self.panel = self.host.locator("#panel-live")
        self.stage = self.host.locator("#live-main")

    def watch(self, socket) -> None:
        if "/live" in socket.url:
            socket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))

    def messages(self, kind: str) -> list[dict]:
        return [message for message in self.sent if message.get("type") == kind]

    def open_tool(self) -> None:
        if self.host.locator("#tool-live").get_attribute("aria-expanded") != "true":
            self.host.locator("#tool-live").click()
        expect(self.panel.get_by_role("heading", name="ライブ表示")).to_be_visible()

    def ask(self) -> dict:
        self.open_tool()
        with self.host.expect_request(
            lambda request: request.method == "POST" and request.url.endswith("/live-view")
        ) as asked:
            self.panel.get_by_role("button", name="画面の共有を依頼").click()
        return asked.value.post_data_json

    def agree(self) -> None:
        self.guest.page.get_by_role("button", name="共有する", exact=True).click()
        expect(self.guest.bar()).to_contain_text("画面を共有中")

    def replay(self):
        """The replayed document: rrweb's frame inside /live-view/frame."""
        return self.stage.frame_locator("iframe.live-outer").frame_locator("iframe")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.host.screenshot(path=SHOTS / f"live-view-console-{name}.png")


def guest_id(room: Room) -> int:
    return int(room.host.locator("#guests li").first.get_attribute("data-guest"))


def test_the_tool_lists_the_snippet_guest_and_asks_for_the_screen(new_page, live_server, pages):
    room = Room(new_page, live_server, pages.url("shop.html"))
    rail = [b.get_attribute("data-tool") for b in room.host.locator(".rail-button").all()]
    assert rail[:2] == ["captures", "live"]  # right after the captures

    room.open_tool()
    item = room.panel.locator("#live-guests li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("お客様 1")
    expect(item).to_contain_text("共有していません")
    room.shot("tool")

    assert room.ask() == {"guest_id": guest_id(room)}
    expect(item).to_contain_text("お客様の同意を待っています")
    expect(item.get_by_role("button", name="共有を停止")).to_be_visible()
    # The guest is asked on their phone; nothing is on the host's stage yet.
    prompt = room.guest.page.get_by_role("dialog", name="担当者が画面の共有を求めています")
    expect(prompt).to_be_visible()
    expect(room.stage).to_be_hidden()
    room.shot("waiting")
    # The replay library is fetched only once a view is shown.
    assert not room.host.evaluate(
        "performance.getEntriesByType('resource').some((e) => e.name.includes('rrweb'))"
    )


def test_the_stage_replays_the_guests_page_with_its_facts_pause_and_the_pointer(
    new_page, live_server, pages
):
    room = Room(new_page, live_server, pages.url("shop.html"))
    room.ask()
    room.agree()

    # The stage shows the guest's page, replayed: its heading is in the
    # replayed document (not a picture of it).
    expect(room.stage).to_be_visible()
    expect(room.host.locator("#stage")).to_have_attribute("data-layout", "live")
    heading = room.replay().locator("#product-name")
    expect(heading).to_have_text("有田焼 藍の小皿 5 枚セット（化粧箱入り）")
    # Both frames sandboxed without scripts; the outer one is the replay page.
    frames = room.host.evaluate(
        """() => {
          const outer = document.querySelector('#live-main iframe.live-outer');
          const inner = outer.contentDocument.querySelector('iframe');
          return [outer.getAttribute('sandbox'), new URL(outer.src).pathname,
                  inner.getAttribute('sandbox')];
        }"""
    )
    assert frames == ["allow-same-origin", "/live-view/frame", "allow-same-origin"]
    # The page's own styles apply in the replay (the console's CSP would
    # have refused them): the heading is not in the default black.
    colour = heading.evaluate("(e) => getComputedStyle(e).fontSize")
    assert colour != "32px"

    page_line = room.host.locator("#live-page")
    expect(page_line).to_contain_text("有田焼 藍の小皿 5 枚セット | うつわ と くらし")
    expect(page_line).to_contain_text(pages.url("shop.html"))
    expect(page_line).to_contain_text("390×844")
    expect(room.host.locator("#live-latency")).to_have_text(re.compile(r"^遅延 約 \d+ ms$"))
    room.open_tool()
    expect(room.panel.locator("#live-guests li")).to_contain_text("共有中")
    room.host.locator("#tool-live").click()  # the panel closed: the stage gets the room
    room.shot("live")

    # A click on the replayed button points at it on the guest's phone.
    spot = room.host.evaluate(
        """() => {
          const outer = document.querySelector('#live-main iframe.live-outer');
          const inner = outer.contentDocument.querySelector('iframe');
          const button = inner.contentDocument.querySelector('#buy-button').getBoundingClientRect();
          const surface = document.getElementById('live-surface').getBoundingClientRect();
          const scale = surface.width / outer.offsetWidth;
          return { x: surface.left + (button.left + button.width * 0.25) * scale,
                   y: surface.top + (button.top + button.height * 0.5) * scale };
        }"""
    )
    room.host.mouse.click(spot["x"], spot["y"])
    expect(room.host.locator("#live-surface .live-mark")).to_be_visible()
    expect(room.host.locator("#live-note")).to_have_text("お客様の画面で指し示しました")
    pointer = room.messages("view.pointer")[-1]
    assert pointer["guest_id"] == guest_id(room)
    assert pointer["points"] is None
    assert 0.15 < pointer["target"]["fx"] < 0.35 and 0.3 < pointer["target"]["fy"] < 0.7
    room.shot("pointer")
    pointer_in = room.guest.page.locator("[data-tsunagu-pointer]")
    expect(pointer_in).to_have_attribute("data-target-found", "true")

    # A drag in 「線を描く」 is a stroke: offsets from where it began, in the
    # guest's px, drawn fading on the host's side too.
    room.stage.get_by_label("線を描く").check()
    room.host.mouse.move(spot["x"] - 100, spot["y"] - 200)
    room.host.mouse.down()
    for step in range(1, 41):
        room.host.mouse.move(spot["x"] - 100 + step * 2, spot["y"] - 200 + step * 3)
    room.host.mouse.up()
    expect(room.host.locator("#live-ink .live-stroke")).to_be_attached()
    expect(room.host.locator("#live-note")).to_have_text("お客様の画面に線を描きました")
    stroke = room.messages("view.pointer")[-1]
    assert stroke["points"][0] == [0, 0] and len(stroke["points"]) <= 200
    scale = room.host.evaluate(
        "() => document.getElementById('live-surface').getBoundingClientRect().width / 390"
    )
    assert abs(stroke["points"][-1][0] - 80 / scale) <= 2
    assert abs(stroke["points"][-1][1] - 120 / scale) <= 2

    # The guest pauses: a veil over the last picture, and the tool says so.
    room.guest.bar().get_by_role("button", name="メニュー").click()
    room.guest.page.get_by_role("dialog", name="メニュー").get_by_role(
        "button", name="一時停止"
    ).click()
    expect(room.host.locator("#live-veil")).to_be_visible()
    expect(room.host.locator("#live-veil")).to_have_text("一時停止中")
    expect(heading).to_be_attached()  # the last picture stays under the veil
    room.open_tool()
    expect(room.panel.locator("#live-guests li")).to_contain_text("お客様が一時停止しています")
    room.shot("paused")
    assert room.messages("view.want")  # a whole picture was asked for on opening
    assert room.guest.errors == []


def test_a_click_on_the_newest_capture_points_while_the_guest_is_on_its_page(
    new_page, live_server, pages
):
    room = Room(new_page, live_server, pages.url("privacy.html"))
    capture = room.guest.send()
    line = room.host.locator("#capture-pointer")
    expect(line).to_have_text("画像をクリックすると、お客様の画面のその場所を指し示します。")

    image = room.host.locator("#capture-image")
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.25})
    expect(room.host.locator("#capture-frame .capture-mark")).to_be_visible()
    expect(line).to_have_text("お客様の画面で指し示しました")
    sent = room.messages("view.pointer")[-1]
    # In the capture's viewport CSS px: the phone is 390 px wide.
    assert sent["guest_id"] == guest_id(room)
    assert sent["target"]["capture_id"] == capture["id"]
    assert sent["target"]["x"] == 195
    assert abs(sent["target"]["y"] - capture["viewport_height"] * 0.25) <= 1
    room.shot("capture-pointer")

    # The guest moved on: the capture no longer shows where things are.
    room.guest.page.goto(pages.url("shop.html"))
    expect(line).to_have_text(
        "お客様は別のページに移動したため、このキャプチャでは指し示せません。"
    )
    pointers = len(room.messages("view.pointer"))
    image.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.25})
    expect(room.host.locator("#capture-frame .capture-mark")).to_have_count(0)
    assert len(room.messages("view.pointer")) == pointers
