"""The live view on the host's side (issue #16): the 「ライブ表示」 tool, the
stage's replay of a phone guest's page (a snippet guest on the test pages),
its page facts, delay and pause, and the host's pointer, on the live view
and on the newest capture. The host is a real console page at 1280x800."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.test_snippet_browser import UNMASKED_BY_SITE, connect, site_with_pages

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# The colour of the host's pointer on the phone (embed/pointer.js's #f97316).
ORANGE = "rgb(249, 115, 22)"
WHITE = "rgb(255, 255, 255)"


@pytest.fixture(scope="module")
def pages(live_server):
    served = site_with_pages(live_server, "Live view console pages", [UNMASKED_BY_SITE])
    yield served
    served.stop()


class Relay:
    """The host page's meeting socket, passed through the test: what the page
    sends is kept, and what the server sends may be held back or changed
    (``down``: a message's text -> the text to pass on, or None)."""

    PATTERN = re.compile(r".*/api/v1/meetings/\d+/live(\?.*)?$")

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.down = lambda text: text
        self.up = lambda text: text
        self.page_socket = None

    def __call__(self, socket) -> None:
        server = socket.connect_to_server()
        # The memo panel has a socket of its own (from the newest event on);
        # the live view's messages come on the meeting page's.
        if "after=4611686018427388000" not in socket.url:
            self.page_socket = socket

        def up(message) -> None:
            if isinstance(message, str):
                self.sent.append(json.loads(message))
                message = self.up(message)
            if message is not None:
                server.send(message)

        def down(message) -> None:
            passed = self.down(message) if isinstance(message, str) else message
            if passed is not None:
                socket.send(passed)

        socket.on_message(up)
        server.on_message(down)

    def to_page(self, message: dict) -> None:
        """A message as if from the server."""
        self.page_socket.send(json.dumps(message))


class Room:
    """A host's meeting page with a phone guest of the snippet, and what the
    host's page sent on its sockets (through ``relay`` when given)."""

    def __init__(self, new_page, live_server, url: str, relay: Relay | None = None) -> None:
        self.relay = relay
        self.sent: list[dict] = relay.sent if relay else []
        self.guest, self.host = connect(new_page, live_server, url)
        if relay:
            self.host.route_web_socket(Relay.PATTERN, relay)
        else:
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
        # The one shown (a newer one may be being built under it).
        return self.stage.frame_locator("iframe.live-outer:not(.live-next)").frame_locator("iframe")

    def spot(self, selector: str, fx: float = 0.5, fy: float = 0.5) -> dict:
        """Where, on the console's page, a replayed element's (fx, fy) is: its
        box in the replay, scaled as the stage shows it."""
        return self.host.evaluate(
            """([selector, fx, fy]) => {
              const outer = document.querySelector('#live-main iframe.live-outer');
              const inner = outer.contentDocument.querySelector('iframe');
              const box = inner.contentDocument.querySelector(selector).getBoundingClientRect();
              const surface = document.getElementById('live-surface').getBoundingClientRect();
              const scale = surface.width / outer.offsetWidth;
              return { x: surface.left + (box.left + box.width * fx) * scale,
                       y: surface.top + (box.top + box.height * fy) * scale };
            }""",
            [selector, fx, fy],
        )

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.host.screenshot(path=SHOTS / f"live-view-console-{name}.png")


def loaded(image) -> None:
    """Wait until a picture has its size (a click's place is measured on it)."""
    image.page.wait_for_function(
        "(e) => e.complete && e.naturalWidth > 0", arg=image.element_handle()
    )


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
    # Nothing is shared yet: the one button takes the question back.
    expect(item.get_by_role("button")).to_have_text(["依頼を取り消す"])
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
    # have refused them): the heading looks as on the guest's phone, not in
    # the browser's default 32px black.
    looks = "(e) => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.fontWeight]; }"
    on_phone = room.guest.page.locator("#product-name").evaluate(looks)
    assert on_phone == ["20px", "rgb(34, 34, 34)", "700"]
    assert heading.evaluate(looks) == on_phone

    page_line = room.host.locator("#live-page")
    expect(page_line).to_contain_text("有田焼 藍の小皿 5 枚セット | うつわ と くらし")
    expect(page_line).to_contain_text(pages.url("shop.html"))
    expect(page_line).to_contain_text("390×844")
    # An estimate, and said to be one.
    expect(room.host.locator("#live-latency")).to_have_text(re.compile(r"^遅延 約 \d+ ms（目安）$"))
    room.open_tool()
    expect(room.panel.locator("#live-guests li")).to_contain_text("共有中")
    room.host.locator("#tool-live").click()  # the panel closed: the stage gets the room
    room.shot("live")

    # A click on the replayed button points at it on the guest's phone.
    spot = room.spot("#buy-button", 0.25, 0.5)
    room.host.mouse.click(spot["x"], spot["y"])
    marker = room.host.locator("#live-surface .live-mark")
    expect(marker).to_be_visible()
    # The phone's orange (embed/pointer.js), ringed in white for red buttons.
    ring = marker.evaluate(
        "(e) => [getComputedStyle(e).borderTopColor, getComputedStyle(e).boxShadow]"
    )
    assert ring[0] == ORANGE and ring[1].startswith(f"{WHITE} 0px 0px 0px 2px")
    expect(room.host.locator("#live-note")).to_have_text("お客様の画面で指し示しました")
    pointer = room.messages("view.pointer")[-1]
    assert pointer["guest_id"] == guest_id(room)
    assert pointer["points"] is None
    # The node is of the page load shown (rrweb's ids start again on each).
    assert pointer["target"]["page"] == room.stage.get_attribute("data-page")
    assert 0.15 < pointer["target"]["fx"] < 0.35 and 0.3 < pointer["target"]["fy"] < 0.7
    room.shot("pointer")
    pointer_in = room.guest.page.locator("[data-tsunagu-pointer]")
    expect(pointer_in).to_have_attribute("data-target-found", "true")

    # A drag in 「線を描く」 is a stroke: offsets from where it began, in the
    # guest's px, drawn fading on the host's side too.
    room.stage.get_by_label("線を描く").check()
    room.host.mouse.move(spot["x"] - 60, spot["y"] - 200)
    room.host.mouse.down()
    for step in range(1, 41):
        room.host.mouse.move(spot["x"] - 60 + step * 1.5, spot["y"] - 200 + step * 3)
    # The stroke being drawn is in the phone's orange on a white casing.
    drawing = room.host.locator("#live-ink .live-drawing")
    assert drawing.locator(".live-line").evaluate("(e) => getComputedStyle(e).stroke") == ORANGE
    assert drawing.locator(".live-casing").evaluate("(e) => getComputedStyle(e).stroke") == WHITE
    room.host.mouse.up()
    expect(room.host.locator("#live-ink .live-stroke")).to_be_attached()
    expect(room.host.locator("#live-note")).to_have_text("お客様の画面に線を描きました")
    stroke = room.messages("view.pointer")[-1]
    assert stroke["points"][0] == [0, 0] and len(stroke["points"]) <= 200
    scale = room.host.evaluate(
        "() => document.getElementById('live-surface').getBoundingClientRect().width / 390"
    )
    assert abs(stroke["points"][-1][0] - 60 / scale) <= 2
    assert abs(stroke["points"][-1][1] - 120 / scale) <= 2

    # The guest pauses: a veil over the last picture says why nothing can be
    # done and until when; saving and the pointer are off, and the tool says so.
    room.guest.bar().get_by_role("button", name="メニュー").click()
    room.guest.page.get_by_role("dialog", name="メニュー").get_by_role(
        "button", name="一時停止"
    ).click()
    veil = room.host.locator("#live-veil")
    expect(veil).to_be_visible()
    expect(veil).to_have_text("お客様が一時停止しています。再開されると操作できます")
    expect(heading).to_be_attached()  # the last picture stays under the veil
    expect(room.stage.get_by_role("button", name="この瞬間を保存")).to_be_disabled()
    expect(room.stage.get_by_label("指し示す")).to_be_disabled()
    expect(room.stage.get_by_label("線を描く")).to_be_disabled()
    # A click on the picture meets the veil, which says why; nothing is sent.
    pointers = len(room.messages("view.pointer"))
    on_top = "([x, y]) => document.elementFromPoint(x, y).closest('#live-veil') !== null"
    assert room.host.evaluate(on_top, [spot["x"], spot["y"]])
    room.host.mouse.click(spot["x"], spot["y"])
    assert len(room.messages("view.pointer")) == pointers
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
    loaded(image)
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.1})
    expect(room.host.locator("#capture-frame .capture-mark")).to_be_visible()
    expect(line).to_have_text("お客様の画面で指し示しました")
    sent = room.messages("view.pointer")[-1]
    # In the capture's viewport CSS px: the phone is 390 px wide.
    assert sent["guest_id"] == guest_id(room)
    assert sent["target"]["capture_id"] == capture["id"]
    assert sent["target"]["x"] == 195
    assert abs(sent["target"]["y"] - capture["viewport_height"] * 0.1) <= 1
    room.shot("capture-pointer")

    # The guest moved on: the capture no longer shows where things are.
    room.guest.page.goto(pages.url("shop.html"))
    expect(line).to_have_text(
        "お客様は別のページに移動したため、このキャプチャでは指し示せません。"
    )
    pointers = len(room.messages("view.pointer"))
    image.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.1})
    expect(room.host.locator("#capture-frame .capture-mark")).to_have_count(0)
    assert len(room.messages("view.pointer")) == pointers


def sharing(room: Room):
    """Ask, agree, and wait for the replayed heading of shop.html."""
    room.ask()
    room.agree()
    heading = room.replay().locator("#product-name")
    expect(heading).to_have_text("有田焼 藍の小皿 5 枚セット（化粧箱入り）")
    return heading


def until(page, condition, what: str) -> None:
    """Wait for something the test's relay sees (Python state, not the page's)."""
    for _ in range(300):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never: {what}")


def test_the_tool_says_what_became_of_the_question_and_of_the_share(new_page, live_server, pages):
    room = Room(new_page, live_server, pages.url("shop.html"))
    room.ask()
    item = room.panel.locator("#live-guests li")
    expect(item).to_contain_text("お客様の同意を待っています")
    prompt = room.guest.page.get_by_role("dialog", name="担当者が画面の共有を求めています")
    expect(prompt).to_be_visible()
    # Taken back before an answer: the prompt goes, and the tool does not
    # wait for ever, on this page or after a reload (from the stored events).
    item.get_by_role("button", name="依頼を取り消す").click()
    expect(item).to_contain_text("依頼は取り消されました")
    expect(prompt).to_be_hidden()
    room.host.reload()
    room.open_tool()
    expect(item).to_contain_text("依頼は取り消されました")
    expect(item.get_by_role("button", name="もう一度依頼")).to_be_visible()

    # Every stored event of the live view, as the tool words it.
    said = room.host.evaluate(
        """async () => {
          const { stateAfter, stateKey } = await import('/static/live_view.js');
          const T = JSON.parse(document.getElementById('live-view-strings').textContent);
          const after = (type, payload = {}) =>
            T[stateKey(stateAfter({ state: 'off' }, { type, payload: { n: 1, ...payload } }))];
          return {
            asked: after('live_view.asked'),
            started: after('live_view.started'),
            declined: after('live_view.declined'),
            paused: after('live_view.paused'),
            resumed: after('live_view.resumed'),
            stopped_guest: after('live_view.stopped', { by: 'guest' }),
            stopped_host: after('live_view.stopped', { by: 'host' }),
            stopped_left: after('live_view.stopped', { ended: 'left' }),
            stopped_ended: after('live_view.stopped', { ended: 'ended' }),
            withdrawn_host: after('live_view.withdrawn', { by: 'host' }),
            withdrawn_left: after('live_view.withdrawn', { ended: 'left' }),
          };
        }"""
    )
    assert said == {
        "asked": "お客様の同意を待っています",
        "started": "共有中",
        "declined": "お客様が共有を断りました",
        "paused": "お客様が一時停止しています",
        "resumed": "共有中",
        "stopped_guest": "お客様が共有を停止しました",
        "stopped_host": "共有は停止しました",
        "stopped_left": "お客様が退出したため、共有は終了しました",
        "stopped_ended": "共有は停止しました",
        "withdrawn_host": "依頼は取り消されました",
        "withdrawn_left": "お客様が退出したため、依頼は取り消されました",
    }


def test_a_lost_batch_is_made_good_by_a_whole_picture_in_a_new_replayer(
    new_page, live_server, pages
):
    relay = Relay()
    room = Room(new_page, live_server, pages.url("shop.html"), relay)
    sharing(room)
    gid = guest_id(room)
    first = room.host.locator("#live-main iframe.live-outer")
    expect(first).to_have_count(1)
    first.evaluate("(outer) => outer.setAttribute('data-first', '')")

    # The batch that renames the heading is lost on the way.
    lost: list[dict] = []

    def lose(text: str) -> str | None:
        message = json.loads(text)
        if message.get("type") == "view.frame" and "LOST-CHANGE" in text:
            lost.append(message)
            return None
        return text

    relay.down = lose
    room.guest.page.evaluate("document.getElementById('product-name').textContent = 'LOST-CHANGE'")
    until(room.host, lambda: lost, "the batch was held back")
    relay.down = lambda text: text
    wants = len(room.messages("view.want"))
    # The next batch shows the gap: the host asks for a whole picture, and
    # the change that was lost is on the stage with the one after it.
    room.guest.page.evaluate("document.getElementById('price').textContent = 'NEXT-CHANGE'")
    replay = room.replay()
    expect(replay.locator("#product-name")).to_have_text("LOST-CHANGE")
    expect(replay.locator("#price")).to_have_text("NEXT-CHANGE")
    assert room.messages("view.want")[wants:] == [{"type": "view.want", "guest_id": gid}]
    # The whole picture was played by a new replayer, the old one (with
    # every event it had been given) gone: one outer frame, a new one.
    expect(room.host.locator("#live-main iframe.live-outer")).to_have_count(1)
    expect(room.host.locator("#live-main iframe.live-outer[data-first]")).to_have_count(0)
    # Changes go on as before in the new one.
    room.guest.page.evaluate("document.getElementById('price').textContent = 'LATER-CHANGE'")
    expect(replay.locator("#price")).to_have_text("LATER-CHANGE")


def test_a_page_too_large_is_said_until_the_next_whole_picture(new_page, live_server, pages):
    relay = Relay()
    room = Room(new_page, live_server, pages.url("shop.html"), relay)
    sharing(room)
    large = room.host.locator("#live-large")
    expect(large).to_be_hidden()
    # The guest's page says a page is too large with an empty flagged frame
    # (the relay stands in for a page that large).
    relay.to_page(
        {
            "type": "view.frame",
            "guest_id": guest_id(room),
            "seq": 0,
            "page": "too-large-page",
            "events": [],
            "batch_ms": 0,
            "too_large": True,
        }
    )
    expect(large).to_have_text(
        "このページは大きすぎてライブ表示できません。キャプチャを送ってもらってください"
    )
    expect(room.host.locator("#live-surface")).to_be_hidden()  # not the old page's picture
    room.shot("too-large")
    # The guest goes on to another page: its full snapshot replaces the notice.
    room.guest.page.goto(pages.url("privacy.html"))
    expect(room.replay().locator("header")).to_contain_text("さくら商店")
    expect(large).to_be_hidden()
    expect(room.host.locator("#live-surface")).to_be_visible()


def test_the_host_is_told_where_the_pointer_went(new_page, live_server, pages):
    relay = Relay()
    room = Room(new_page, live_server, pages.url("shop.html"), relay)
    sharing(room)
    note = room.host.locator("#live-note")
    button = room.replay().locator("#buy-button")

    def click_the_button() -> None:
        box = room.spot("#buy-button")
        room.host.mouse.click(box["x"], box["y"])

    expect(button).to_be_attached()
    # The guest's page answers ok: said once it has.
    click_the_button()
    expect(note).to_have_text("お客様の画面で指し示しました")

    # Its other answers, as the guest's page would give them (the relay
    # puts them in place of the real answer).
    for reason, text in [
        ("other_page", "お客様は別のページに移動しました"),
        ("not_found", "その場所は見つかりませんでした"),
    ]:

        def answer(message: str, reason: str = reason) -> str:
            if json.loads(message).get("type") == "view.result":
                return json.dumps(
                    {
                        "type": "view.result",
                        "guest_id": guest_id(room),
                        "ok": False,
                        "reason": reason,
                    }
                )
            return message

        relay.down = answer
        click_the_button()
        expect(note).to_have_text(text)
    relay.down = lambda text: text


def test_the_replay_runs_no_script_of_the_guests_page(new_page, live_server, pages):
    room = Room(new_page, live_server, pages.url("hostile.html"))
    # The page's own script and handler run where they should: on the
    # guest's phone (its own title is its business).
    room.guest.page.wait_for_function("window.hostileMarker === 'onerror'")
    title = room.host.title()
    room.ask()
    room.agree()
    replay = room.replay()
    expect(replay.locator("#hostile-heading")).to_have_text("お問い合わせ")
    expect(replay.locator("form#away")).to_be_attached()
    # The broken image has had its chance to fail (its placeholder is up).
    expect(room.host.locator("#live-holders [data-kind='image']")).to_be_visible()
    markers = room.host.evaluate(
        """() => {
          const outer = document.querySelector('#live-main iframe.live-outer');
          const inner = outer.contentDocument.querySelector('iframe');
          return [document.title, window.hostileMarker ?? null,
                  outer.contentWindow.hostileMarker ?? null,
                  inner.contentWindow.hostileMarker ?? null];
        }"""
    )
    assert markers == [title, None, None, None]
    # A submit in the replay (were a click ever to reach it) goes nowhere.
    with room.host.expect_console_message(lambda m: "Blocked form submission" in m.text):
        replay.locator("form#away").evaluate("(form) => form.requestSubmit()")
    assert room.host.title() == title


def test_the_replay_page_forbids_script_and_other_origins_frames(live_server):
    response = httpx.get(f"{live_server.url}/live-view/frame")
    assert response.status_code == 200
    policy = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "form-action 'none'" in policy
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_the_delay_is_an_estimate_without_a_stale_batch(new_page, live_server):
    page = new_page()
    page.goto(f"{live_server.url}/login")
    figures = page.evaluate(
        """async () => {
          const { latencyMs, frameStep } = await import('/static/live_view.js');
          const shown = { page: 'p1', seq: 4, stale: false, large: false };
          const change = [{ type: 3, data: { source: 0 } }];
          const frame = (seq, page = 'p1', events = change) => ({ seq, page, events });
          return {
            fresh: latencyMs(300, 100, 1000),
            stale: latencyMs(300, 100, 6000),
            next: frameStep(shown, frame(5)),
            gap: frameStep(shown, frame(6)),
            waiting: frameStep({ ...shown, stale: true }, frame(5)),
            other: frameStep(shown, frame(0, 'p2')),
            full: frameStep({ ...shown, stale: true }, frame(9, 'p1', [{ type: 4 }, { type: 2 }])),
            large: frameStep(shown, { seq: 0, page: 'p3', events: [], too_large: true }),
          };
        }"""
    )
    assert figures == {
        "fresh": 350,
        "stale": 50,
        "next": "add",
        "gap": "want",
        "waiting": "want",
        "other": "want",
        "full": "start",
        "large": "large",
    }


def test_a_saved_moment_is_seen_and_pointed_on_then_the_view_comes_back(
    new_page, live_server, pages
):
    room = Room(new_page, live_server, pages.url("shop.html"))
    sharing(room)
    room.stage.get_by_role("button", name="この瞬間を保存").click()
    note = room.host.locator("#live-note")
    expect(note).to_have_text("保存しました。キャプチャに追加されています。")
    see = room.stage.get_by_role("button", name="キャプチャを見る")
    room.shot("saved")

    # The capture is on the stage in the live view's place, the newest one.
    see.click()
    capture = room.host.locator("#capture-main")
    expect(capture).to_be_visible()
    expect(room.stage).to_be_hidden()
    newest = room.host.locator("#capture-strip button").first
    expect(newest).to_have_attribute("aria-current", "true")
    image = room.host.locator("#capture-image")
    loaded(image)
    back = capture.get_by_role("button", name="ライブ表示に戻る")
    expect(back).to_be_visible()
    room.shot("saved-capture")

    # The guest is on the same page: a click on it points there.
    line = room.host.locator("#capture-pointer")
    expect(line).to_have_text("画像をクリックすると、お客様の画面のその場所を指し示します。")
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.2})
    expect(line).to_have_text("お客様の画面で指し示しました")
    sent = room.messages("view.pointer")[-1]
    assert sent["target"]["capture_id"] == int(newest.get_attribute("data-capture"))
    expect(room.guest.page.locator("[data-tsunagu-pointer]")).to_have_attribute(
        "data-target-found", "true"
    )

    # Back to the live view, from the capture's caption...
    back.click()
    expect(room.stage).to_be_visible()
    expect(capture).to_be_hidden()
    expect(back).to_be_hidden()
    expect(room.replay().locator("#product-name")).to_be_visible()
    # ...or from the tool, which offers it while the capture is shown.
    see = room.stage.get_by_role("button", name="キャプチャを見る")
    room.stage.get_by_role("button", name="この瞬間を保存").click()
    expect(see).to_be_visible()
    see.click()
    expect(room.stage).to_be_hidden()
    room.open_tool()
    room.panel.get_by_role("button", name="ステージに表示").click()
    expect(room.stage).to_be_visible()
    expect(room.panel.get_by_role("button", name="ステージに表示")).to_have_count(0)


def test_a_save_that_brings_no_capture_is_said_to_have_failed(new_page, live_server, pages):
    relay = Relay()
    room = Room(new_page, live_server, pages.url("shop.html"), relay)
    sharing(room)
    # The guest's page never hears the request (as when it cannot capture).
    relay.up = lambda text: None if json.loads(text).get("type") == "view.save" else text
    room.host.clock.install()
    room.stage.get_by_role("button", name="この瞬間を保存").click()
    note = room.host.locator("#live-note")
    expect(note).to_have_text("保存を依頼しました…")
    room.host.clock.fast_forward("00:16")
    expect(note).to_have_text("保存できませんでした。お客様にキャプチャの送信をお願いしてください")
    expect(room.stage.get_by_role("button", name="キャプチャを見る")).to_be_hidden()


def test_after_a_reload_the_header_names_the_guest_and_its_lines_fit_beside_the_panel(
    new_page, live_server, pages
):
    room = Room(new_page, live_server, pages.url("shop.html"))
    sharing(room)
    # A long address, as a shop's often is.
    long_url = pages.url("shop.html") + "?item=arita-ai-kozara-5mai-set&ref=" + "x" * 80
    room.guest.page.goto(long_url)
    expect(room.host.locator("#live-url")).to_have_attribute("title", long_url)

    room.host.reload()
    expect(room.host.locator("#live-who")).to_have_text("お客様 1")
    expect(room.replay().locator("#product-name")).to_be_visible()
    room.open_tool()
    title = room.host.locator("#live-title")
    expect(title).to_have_text("有田焼 藍の小皿 5 枚セット | うつわ と くらし")
    size = room.host.locator("#live-size")
    latency = room.host.locator("#live-latency")
    expect(size).to_have_text("390×844")
    expect(latency).to_have_text(re.compile(r"^遅延 約 \d+ ms"))
    # Title on one line, URL · size · delay under it, all inside the tile:
    # the URL gives way in its middle, its end kept.
    line = room.host.locator("#live-page").bounding_box()
    for part in (size, latency, room.host.locator("#live-url-tail")):
        box = part.bounding_box()
        assert box["x"] >= line["x"] and box["x"] + box["width"] <= line["x"] + line["width"] + 1
    assert title.bounding_box()["y"] < size.bounding_box()["y"]
    tail = room.host.locator("#live-url-tail").bounding_box()
    assert tail["x"] + tail["width"] <= size.bounding_box()["x"] + 1  # not over " · 390×844"
    head = room.host.locator("#live-url-head")
    assert head.evaluate("(e) => e.scrollWidth > e.clientWidth")  # ellipsised
    expect(room.host.locator("#live-url-tail")).to_have_text("x" * 12)
    room.shot("panel-open")

    # The zoom level is said: the fitted one, then each step, then fitted again.
    level = room.host.locator("#live-zoom-level")
    expect(level).to_have_text(re.compile(r"^\d+%$"))
    fitted = int(level.inner_text().rstrip("%"))
    room.stage.get_by_role("button", name="拡大").click()
    expect(level).to_have_text(f"{round(fitted * 1.25)}%")
    room.stage.get_by_role("button", name="拡大").click()
    room.shot("zoomed")
    room.stage.get_by_role("button", name="全体を表示").click()
    expect(level).to_have_text(f"{fitted}%")


def test_the_english_console_names_the_guest_as_the_guest_list_does(new_page, live_server, pages):
    room = Room(new_page, live_server, pages.url("shop.html"))
    room.ask()
    room.agree()
    room.host.context.add_cookies([{"name": "tsunagu_lang", "value": "en", "url": live_server.url}])
    room.host.reload()
    expect(room.host.locator("#guests li strong").first).to_have_text("Guest 1")
    expect(room.host.locator("#live-who")).to_have_text("Guest 1")
    room.host.locator("#tool-live").click()
    expect(room.panel.locator("#live-guests li strong")).to_have_text("Guest 1")
    expect(room.stage.get_by_label("Point", exact=True)).to_be_checked()
    expect(room.stage.get_by_label("Draw", exact=True)).to_be_visible()
    room.shot("english")
