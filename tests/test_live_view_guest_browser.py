"""The live view on the guest's side (issue #16): a phone guest on a site page
with the snippet, connected to a host's meeting. The host asks, points and
draws through the API and the meeting's socket (what the console's buttons
call), so these tests do not depend on the console's live view; what is
asserted is what the guest sees and what left the phone on its socket."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_snippet_browser import PHONE, Guest, fill_privacy_form, widget

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ASKED = "担当者が画面の共有を求めています"
WHAT = (
    "このサイトで開いているページの表示を、担当者の画面にリアルタイムで表示します。"
    "入力した文字、パスワード、カード番号などは送られません。他のアプリやタブは共有されません。"
)


@pytest.fixture(scope="module")
def pages(live_server):
    from tests.test_snippet_browser import UNMASKED_BY_SITE, site_with_pages

    served = site_with_pages(live_server, "Live view pages", [UNMASKED_BY_SITE])
    yield served
    served.stop()


class Sharing:
    """A connected phone guest, with every message its page sent on its sockets."""

    def __init__(self, new_page, live_server, url: str) -> None:
        self.page = new_page(**PHONE)
        self.guest = Guest(self.page, live_server)
        self.sent: list[dict] = []
        self.sockets: list = []
        self.requested: list[str] = []
        self.page.on("request", lambda request: self.requested.append(request.url))
        self.page.on("websocket", self.watch)
        self.page.goto(url)
        number = self.guest.number()
        self.host = console_host(new_page, live_server)
        type_number(self.host, number)
        expect(self.host).to_have_url(re.compile(r"/meetings/\d+$"))
        expect(self.guest.bar()).to_contain_text("接続中")
        self.meeting = int(self.host.url.rsplit("/", 1)[1])
        guests = self.host_call("GET", f"/api/v1/meetings/{self.meeting}/guests")["body"]
        self.guest_id = guests["guests"][0]["id"]

    def watch(self, socket) -> None:
        self.sockets.append(socket)
        socket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))

    def frames(self) -> list[dict]:
        return [message for message in self.sent if message.get("type") == "view.frame"]

    def socket(self):
        return self.sockets[-1]

    def host_call(self, method: str, path: str, body: dict | None = None) -> dict:
        """A console call from the host's page, as server/static/*.js make them."""
        return self.host.evaluate(
            """async ([method, path, body]) => {
                const csrf = document.querySelector('meta[name="csrf-token"]').content;
                const response = await fetch(path, {
                  method,
                  headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
                  body: body ? JSON.stringify(body) : undefined,
                });
                return { status: response.status, body: await response.json() };
              }""",
            [method, path, body],
        )

    def ask(self) -> None:
        answer = self.host_call(
            "POST", f"/api/v1/meetings/{self.meeting}/live-view", {"guest_id": self.guest_id}
        )
        assert answer["status"] == 200, answer

    def host_send(self, message: dict) -> None:
        """A message on the host's own meeting socket (as the console's live view sends)."""
        self.host.evaluate(
            """([meeting, message]) => new Promise((resolve, reject) => {
                const url = location.origin.replace(/^http/, 'ws')
                  + `/api/v1/meetings/${meeting}/live?after=0`;
                const socket = (window.testSocket ||= new WebSocket(url));
                const send = () => { socket.send(JSON.stringify(message)); resolve(); };
                if (socket.readyState === WebSocket.OPEN) send();
                else { socket.addEventListener('open', send, { once: true });
                       socket.addEventListener('error', reject, { once: true }); }
              })""",
            [self.meeting, {**message, "guest_id": self.guest_id}],
        )

    def share(self) -> None:
        """The host asks and the guest agrees: the page is shared from here."""
        self.ask()
        self.agree()

    def agree(self):
        """Tap 共有する and wait for the full snapshot that follows."""
        with self.socket().expect_event("framesent", predicate=has_full_snapshot):
            self.page.get_by_role("button", name="共有する", exact=True).click()
        expect(self.guest.bar()).to_contain_text("画面を共有中")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=SHOTS / f"live-view-guest-{name}.png")


def has_full_snapshot(payload: str) -> bool:
    message = json.loads(payload)
    return message.get("type") == "view.frame" and any(
        event["type"] == 2 for event in message["events"]
    )


def menu_button(sharing: Sharing, name: str):
    """A live view control, which a phone has in the bar's メニュー."""
    sharing.guest.bar().get_by_role("button", name="メニュー").click()
    return sharing.page.get_by_role("dialog", name="メニュー").get_by_role("button", name=name)


def test_nothing_is_sent_before_the_guest_agrees_and_no_secret_ever_leaves(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("privacy.html"))
    page = sharing.page
    # Typed before sharing (the site's unmasked fields, whose values may be shown, aside).
    fill_privacy_form(page, "WM84WM84 WM84", "13", shown="first@example.jp")

    sharing.ask()
    prompt = page.get_by_role("dialog", name=ASKED)
    expect(prompt).to_contain_text(WHAT)  # exactly what is shared, before anything is
    expect(prompt.get_by_role("button", name="共有しない")).to_be_visible()
    sharing.shot("prompt")
    assert sharing.frames() == []
    assert not [url for url in sharing.requested if "/embed/live_view.js" in url]

    sharing.agree()
    expect(page.locator("[data-tsunagu] .share-frame")).to_be_visible()  # the border round the page
    sharing.shot("sharing")

    # Typed while sharing: secrets, then the site's unmasked field (whose value
    # arriving proves that the changes before it were sent).
    fill_privacy_form(page, "XQ93XQ93 XQ93", "47", shown="shown@example.jp")
    page.locator("#member-no").evaluate("(e) => (e.textContent = 'M-1111-2222')")
    with sharing.socket().expect_event(
        "framesent", predicate=lambda payload: "late@example.jp" in payload
    ):
        page.locator("#email").fill("late@example.jp")

    sent = json.dumps(sharing.frames(), ensure_ascii=False)
    for secret in ["WM84", "XQ93", "M-8237", "M-1111"]:
        assert secret not in sent, secret
    assert "●●●●" in sent  # the fields are there, masked
    # Our own bar is never part of the page sent.
    assert '"data-tsunagu":' not in sent and "画面を共有中" not in sent
    assert sharing.guest.errors == []


def test_pausing_stops_the_traffic_and_resuming_starts_with_a_full_snapshot(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("shop.html"))
    page = sharing.page
    sharing.share()

    # The smallest phone still has 送信, 終了 and メニュー whole beside the indicator.
    page.set_viewport_size({"width": 320, "height": 640})
    for name in ["この画面を送信", "終了", "メニュー"]:
        box = sharing.guest.bar().get_by_role("button", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (name, box)
    page.set_viewport_size({"width": 390, "height": 844})

    menu_button(sharing, "一時停止").click()
    expect(sharing.guest.bar()).to_contain_text("一時停止中")
    sharing.shot("paused")
    before = len(sharing.frames())
    # The page keeps changing while paused...
    page.evaluate(
        """() => {
            const clock = document.body.appendChild(document.createElement('p'));
            window.ticker = setInterval(() => {
              clock.textContent = 'tick ' + Date.now();
              scrollTo(0, scrollY > 0 ? 0 : 200);
            }, 50);
          }"""
    )
    # ...for as long as a capture takes (many times the live view's 100 ms batches).
    sharing.guest.send_button().click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    assert len(sharing.frames()) == before

    with sharing.socket().expect_event("framesent", predicate=has_full_snapshot):
        menu_button(sharing, "再開").click()
    expect(sharing.guest.bar()).to_contain_text("画面を共有中")
    resumed = sharing.frames()[before]
    assert any(event["type"] == 2 for event in resumed["events"])
    page.evaluate("clearInterval(window.ticker)")
    assert sharing.guest.errors == []


def node_id(frames: list[dict], attribute: str, value: str) -> int:
    """The rrweb node id of the element with attribute=value in the last full snapshot."""
    snapshot = [e for f in frames for e in f["events"] if e["type"] == 2][-1]["data"]["node"]
    stack = [snapshot]
    while stack:
        node = stack.pop()
        if node.get("type") == 2 and node.get("attributes", {}).get(attribute) == value:
            return node["id"]
        stack.extend(node.get("childNodes", []))
    raise AssertionError(f"no {attribute}={value} in the snapshot")


def node_target(sharing: Sharing, node: int, fx: float = 0.5, fy: float = 0.5) -> dict:
    """A pointer's target on a replayed node, of the page load last sent."""
    return {"node": node, "fx": fx, "fy": fy, "page": sharing.frames()[-1]["page"]}


POINTER_IN = """([selector]) => {
  const pointer = document.querySelector('[data-tsunagu]').shadowRoot
    .querySelector('[data-tsunagu-pointer]');
  if (!pointer || pointer.dataset.targetFound !== 'true') return false;
  const box = document.querySelector(selector).getBoundingClientRect();
  const x = Number(pointer.dataset.x), y = Number(pointer.dataset.y);
  const inside = x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
  return inside && box.top >= 0 && box.bottom <= innerHeight;
}"""


def test_the_hosts_pointer_lands_on_the_button_also_after_the_guest_scrolled(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("privacy.html"))
    page = sharing.page
    sharing.share()
    submit = node_id(sharing.frames(), "class", "submit")  # 「登録して支払う」, far below
    sharing.host_send(
        {"type": "view.pointer", "target": node_target(sharing, submit, 0.3), "points": None}
    )
    pointer = page.locator("[data-tsunagu-pointer]")
    expect(pointer).to_have_attribute("data-target-found", "true")
    # Off screen: an arrow at the edge, pointing down to it.
    expect(pointer).to_have_attribute("data-on-screen", "false")
    assert int(pointer.get_attribute("data-y")) > 844 - 60

    page.locator(".submit").scroll_into_view_if_needed()
    page.wait_for_function(POINTER_IN, arg=[".submit"])
    page.evaluate("scrollBy(0, -120)")  # and a little back up: it follows
    page.wait_for_function(POINTER_IN, arg=[".submit"])
    sharing.shot("pointer")
    assert sharing.guest.errors == []


def test_the_pointer_on_a_capture_lands_on_the_same_element_without_live_view(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("privacy.html"))
    page = sharing.page
    box = page.locator("#pw-toggle").bounding_box()  # 「パスワードを表示」, on screen
    capture = sharing.guest.send()
    page.evaluate("scrollBy(0, 90)")  # the guest scrolled since
    sharing.host_send(
        {
            "type": "view.pointer",
            "target": {
                "capture_id": capture["id"],
                "x": box["x"] + box["width"] * 0.5,
                "y": box["y"] + box["height"] * 0.5,
            },
            "points": None,
        }
    )
    page.wait_for_function(POINTER_IN, arg=["#pw-toggle"])
    assert sharing.frames() == []  # no live view was ever on
    assert sharing.guest.errors == []


def test_sharing_answers_the_host_and_goes_on_across_pages(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("shop.html"))
    page = sharing.page
    sharing.share()
    first_page = sharing.frames()[0]["page"]

    # The host (re)opening the view asks for a full snapshot.
    with sharing.socket().expect_event("framesent", predicate=has_full_snapshot):
        sharing.host_send({"type": "view.want"})
    # The latency probe is echoed as it came.
    with sharing.socket().expect_event(
        "framesent", predicate=lambda payload: json.loads(payload).get("type") == "view.pong"
    ) as pong:
        sharing.host_send({"type": "view.ping", "t": 12345})
    assert json.loads(pong.value)["t"] == 12345
    # 「この瞬間を保存」: an ordinary capture, marked as from the live view.
    sharing.host_send({"type": "view.save"})
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    events = sharing.host_call("GET", f"/api/v1/meetings/{sharing.meeting}/events")["body"]
    captures = [e for e in events["events"] if e["type"] == "capture.created"]
    assert [capture["payload"].get("origin") for capture in captures] == ["live_view"]

    # On the next page of the site: shared at once, starting with a full snapshot.
    with page.expect_websocket() as opened:
        page.goto(pages.url("landing.html"))
    expect(sharing.guest.bar()).to_contain_text("画面を共有中")
    expect(page.locator("[data-tsunagu] .share-frame")).to_be_visible()

    def from_next_page(message: dict) -> bool:
        return message.get("type") == "view.frame" and message["page"] != first_page

    if not any(from_next_page(message) for message in sharing.sent):
        # (Messages already heard are in the list; any later one is waited for.)
        opened.value.wait_for_event(
            "framesent", predicate=lambda payload: from_next_page(json.loads(payload))
        )
    first = next(message for message in sharing.sent if from_next_page(message))
    assert any(event["type"] == 2 for event in first["events"])
    assert sharing.guest.errors == []


def wait_sent(sharing: Sharing, text: str, act) -> None:
    """Do ``act`` and wait until a frame carrying ``text`` left the phone: what
    was changed before it was sent before it (the recorder keeps the order)."""
    with sharing.socket().expect_event("framesent", predicate=lambda payload: text in payload):
        act()


def test_hidden_and_file_inputs_never_go_out(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    # A one-time code a script put into a hidden field (inside an unmasked box:
    # hidden fields are never shown), before and while sharing.
    page.locator("#otp-token").evaluate("(e) => (e.value = 'OTP-314159')")
    page.locator("#upload").set_input_files(
        files=[{"name": "passport-SCAN-1.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}]
    )
    sharing.share()
    page.locator("#otp-token").evaluate("(e) => (e.value = 'OTP-271828')")
    page.locator("#upload").set_input_files(
        files=[{"name": "passport-SCAN-2.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}]
    )
    # The site's unmasked field still goes out as typed.
    wait_sent(sharing, "R-20240601", lambda: page.locator("#order-id").fill("R-20240601"))

    sent = json.dumps(sharing.frames(), ensure_ascii=False)
    for secret in ["OTP-314159", "OTP-271828", "passport-SCAN", "fakepath"]:
        assert secret not in sent, secret
    assert sharing.guest.errors == []


def test_hidden_shadow_roots_and_our_own_bar_never_go_out(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    sharing.share()
    # A masked web component renders again, into its shadow root.
    page.locator("#secret-note").evaluate(
        """(e) => {
            const span = document.createElement('span');
            span.textContent = 'SHADOW-SECRET-42';
            e.shadowRoot.append(span);
            e.shadowRoot.querySelector('p').textContent = 'SHADOW-SECRET-43';
          }"""
    )
    # A paragraph masked after it was sent: what it says from then on stays
    # here, and a full snapshot follows in which it is a placeholder (the
    # host's replay no longer shows what it said before either).
    assert "あとで隠す段落" in json.dumps(sharing.frames(), ensure_ascii=False)
    with sharing.socket().expect_event("framesent", predicate=has_full_snapshot) as resent:
        page.locator("#later").evaluate(
            "(e) => { e.setAttribute('data-tsunagu-mask', ''); e.textContent = 'LATER-SECRET-9'; }"
        )
    assert "あとで隠す段落" not in json.dumps(json.loads(resent.value), ensure_ascii=False)
    # The host points at a field; the guest scrolls, the pointer follows.
    target = node_target(sharing, node_id(sharing.frames(), "id", "order-id"))
    sharing.host_send({"type": "view.pointer", "target": target, "points": None})
    pointer = page.locator("[data-tsunagu-pointer]")
    expect(pointer).to_have_attribute("data-target-found", "true")
    name = pointer.locator(".name").text_content()
    y = pointer.get_attribute("data-y")
    page.evaluate("scrollBy(0, 60)")
    expect(pointer).not_to_have_attribute("data-y", y)
    wait_sent(sharing, "R-SYNC-2", lambda: page.locator("#order-id").fill("R-SYNC-2"))

    sent = json.dumps(sharing.frames(), ensure_ascii=False)
    for secret in ["SHADOW-SECRET", "LATER-SECRET", name, "data-tsunagu-pointer", '"data-x"']:
        assert secret not in sent, secret
    # Nor our bar's style sheets (adopted by its shadow root).
    assert "share-frame" not in sent and "tsunagu-pulse" not in sent
    assert sharing.guest.errors == []


def test_other_origins_urls_in_css_and_attributes_lose_their_query(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    sharing.share()  # the page's style attribute and <style>, in the full snapshot
    # Changed while sharing: a style property, a new <style> and its text, a
    # rule and a declaration added through CSSOM, URL attributes.
    page.evaluate(
        """(other) => {
            const url = (sig) => `url(${other}/img/card-1.png?sig=${sig})`;
            document.getElementById('styled').style.backgroundImage = url('MUT-SECRET-1');
            const style = document.head.appendChild(document.createElement('style'));
            style.textContent = `.added { background: ${url('ADD-SECRET-2')} }`;
            setTimeout(() => {
              style.firstChild.data = `.added { background: ${url('TEXT-SECRET-3')} }`;
              const sheet = document.styleSheets[0];
              sheet.insertRule(`.rule { background-image: ${url('RULE-SECRET-4')} }`, 0);
              sheet.cssRules[0].style.setProperty('border-image-source', url('DECL-SECRET-5'));
              const form = document.getElementById('apply');
              const button = form.appendChild(document.createElement('button'));
              button.setAttribute('formaction', `${other}/apply?sig=FORM-SECRET-6`);
              const link = form.appendChild(document.createElement('a'));
              link.href = `${other}/next?x=1`;
              link.setAttribute('ping',
                `${other}/p?sig=PING-SECRET-7 ${other}/q?x=PING-SECRET-8`);
            }, 0);
          }""",
        pages.other_origin,
    )
    wait_sent(sharing, "R-SYNC-3", lambda: page.locator("#order-id").fill("R-SYNC-3"))

    sent = json.dumps(sharing.frames(), ensure_ascii=False)
    for secret in [
        "STYLE-SECRET-17", "SHEET-SECRET-31", "#frag", "MUT-SECRET", "ADD-SECRET", "TEXT-SECRET",
        "RULE-SECRET", "DECL-SECRET", "FORM-SECRET", "PING-SECRET",
    ]:  # fmt: skip
        assert secret not in sent, secret
    # (Each of them was sent, cleaned.)
    for there in [".added", ".rule", "border-image-source", '"formaction"', '"ping"']:
        assert there in sent, there
    # The other origin's images are still there, without the query...
    assert f"{pages.other_origin}/img/card-1.png" in sent
    assert f"{pages.other_origin}/p {pages.other_origin}/q" in sent
    # ...and the page's own URLs keep theirs.
    for kept in ["STYLE-KEEP-3", "SHEET-KEEP-5"]:
        assert kept in sent, kept
    assert sharing.guest.errors == []


def test_copies_of_a_masked_value_and_pasted_addresses_stay_on_the_phone(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    # The page copies what is typed into the field's data-value, title,
    # aria-valuetext and value attributes: before sharing and while.
    page.locator("#memo").fill("MEMO-SECRET-10")
    sharing.share()
    page.locator("#memo").fill("MEMO-SECRET-11")
    # Pasted into the (masked) editor: an image and a link of our own origin.
    page.locator("#editor").evaluate(
        """(e) => (e.innerHTML = '<img src="img/card-1.png?doc=PASTED-9">'
            + '<a href="/account?doc=LINKED-10">PASTED-TEXT</a>')"""
    )
    page.locator("#editor img").evaluate("(e) => (e.src = 'img/card-2.png?doc=PASTED-12')")
    wait_sent(sharing, "R-SYNC-4", lambda: page.locator("#order-id").fill("R-SYNC-4"))

    sent = json.dumps(sharing.frames(), ensure_ascii=False)
    for secret in ["MEMO-SECRET", "PASTED-9", "LINKED-10", "PASTED-TEXT", "PASTED-12"]:
        assert secret not in sent, secret
    assert "●●●●" in sent and '"aria-valuetext"' not in sent
    assert sharing.guest.errors == []


def test_no_message_is_over_4_mib_of_utf8(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    sharing.share()
    watched = sharing.socket()
    texts: list[str] = []
    watched.on("framesent", lambda payload: texts.append(payload))
    # Two changes of 3 MB of UTF-8 each (1 M characters), in one batch: sent
    # as two messages.
    with watched.expect_event("framesent", predicate=lambda payload: "いいいい" in payload):
        page.evaluate(
            """() => {
                const add = (text) => document.body.appendChild(document.createElement('p'))
                  .textContent = text.repeat(1000000);
                add('あ');
                setTimeout(() => add('い'), 0);
              }"""
        )
    # One change of 4.5 MB: not sent; an empty frame says it was too large.
    with watched.expect_event("framesent", predicate=lambda p: '"too_large":true' in p):
        page.evaluate(
            "() => { document.body.appendChild(document.createElement('p'))"
            ".textContent = 'う'.repeat(1500000); }"
        )

    assert all(len(text.encode()) <= 4 * 1024 * 1024 for text in texts)
    big = [text for text in texts if "ああああ" in text or "いいいい" in text]
    assert len(big) == 2 and not any("ううう" in text for text in texts)
    too_large = [json.loads(text) for text in texts if '"too_large":true' in text]
    assert too_large[0]["events"] == [] and too_large[0]["page"] == sharing.frames()[0]["page"]
    assert sharing.guest.errors == []


def test_the_pointer_on_a_node_of_another_page_load_shows_nothing(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("live.html"))
    page = sharing.page
    sharing.share()
    order = node_id(sharing.frames(), "id", "order-id")
    later = node_id(sharing.frames(), "id", "later")

    def result(target: dict) -> dict:
        with sharing.socket().expect_event(
            "framesent", predicate=lambda p: json.loads(p).get("type") == "view.result"
        ) as told:
            sharing.host_send({"type": "view.pointer", "target": target, "points": None})
        return json.loads(told.value)

    pointer = page.locator("[data-tsunagu-pointer]")
    assert result(node_target(sharing, order)) == {
        "type": "view.result",
        "ok": True,
        "reason": "shown",
    }
    expect(pointer).to_have_attribute("data-target-found", "true")
    # The same node id, clicked on the replay of an earlier page load: ids
    # start over on each page, so it may be anything here.
    elsewhere = {**node_target(sharing, order), "page": "an-earlier-page"}
    assert result(elsewhere) == {"type": "view.result", "ok": False, "reason": "other_page"}
    expect(pointer).to_have_count(0)
    # A node that is gone.
    page.locator("#later").evaluate("(e) => e.remove()")
    assert result(node_target(sharing, later)) == {
        "type": "view.result", "ok": False, "reason": "not_found",
    }  # fmt: skip
    expect(page.locator("[data-tsunagu-pointer]:visible")).to_have_count(0)
    assert sharing.guest.errors == []


def test_a_single_page_apps_new_address_reaches_the_host(new_page, live_server, pages):
    sharing = Sharing(new_page, live_server, pages.url("spa.html"))
    sharing.share()

    def meta(payload: str, ending: str) -> bool:
        message = json.loads(payload)
        return message.get("type") == "view.frame" and any(
            event["type"] == 4 and event["data"]["href"].endswith(ending)
            for event in message["events"]
        )

    # A filter of the app: history.pushState, no page load. The host's page
    # line reads the address of a Meta, which comes with a full snapshot.
    with sharing.socket().expect_event("framesent", predicate=lambda p: meta(p, "#/active")):
        sharing.page.locator("#filter-active").click()
    with sharing.socket().expect_event("framesent", predicate=lambda p: meta(p, "/spa.html")):
        sharing.page.go_back()  # popstate
    assert sharing.guest.errors == []


def test_the_pointer_on_a_capture_prefers_the_fixed_bar_over_what_scrolled_under_it(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("fixed.html"))
    page = sharing.page
    # Scrolled: a small mark of the page is under the fixed header (0-56 px).
    page.evaluate(
        """() => {
            scrollTo(0, 600);
            const mark = document.body.appendChild(document.createElement('i'));
            mark.id = 'under-header';
            mark.style.cssText = 'position:absolute;left:20px;top:620px;width:16px;height:16px';
          }"""
    )
    capture = sharing.guest.send()
    page.evaluate("scrollBy(0, 200)")  # the mark scrolls away, the header stays
    sharing.host_send(
        {
            "type": "view.pointer",
            "target": {"capture_id": capture["id"], "x": 28, "y": 28},
            "points": None,
        }
    )
    page.wait_for_function(POINTER_IN, arg=["#fixed-header"])
    # On the header itself, not an arrow at the edge pointing up to the mark.
    expect(page.locator("[data-tsunagu-pointer]")).to_have_attribute("data-on-screen", "true")
    assert sharing.guest.errors == []


def test_the_indicator_says_sharing_on_the_smallest_phone_and_opens_its_controls(
    new_page, live_server, pages
):
    sharing = Sharing(new_page, live_server, pages.url("shop.html"))
    page = sharing.page
    page.set_viewport_size({"width": 320, "height": 640})
    sharing.share()

    # The tag on the border at the top says it whole, inside the screen, on
    # any width (the bar's own label may shrink to its dot at 320 px).
    tag = page.locator("[data-tsunagu] .share-tag")
    expect(tag).to_have_text("画面を共有中")
    box = tag.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320 and box["y"] <= 4, box
    assert tag.evaluate("node => node.scrollWidth <= node.clientWidth")
    # It takes no tap: the page under it gets it.
    assert (
        page.locator("[data-tsunagu] .share-frame").evaluate(
            "node => getComputedStyle(node).pointerEvents"
        )
        == "none"
    )

    # Tapping the bar's indicator says what is shared and offers pause and stop.
    sharing.guest.bar().get_by_role("button", name=re.compile("画面を共有中")).click()
    controls = page.get_by_role("dialog", name="画面を共有中")
    expect(controls).to_contain_text("リアルタイムで表示します")
    controls.get_by_role("button", name="一時停止").click()
    expect(tag).to_have_text("一時停止中")
    sharing.shot("paused-320")
    sharing.guest.bar().get_by_role("button", name=re.compile("一時停止中")).click()
    page.get_by_role("dialog", name="画面を共有中").get_by_role("button", name="共有を停止").click()
    expect(tag).to_be_hidden()
    assert sharing.guest.errors == []
