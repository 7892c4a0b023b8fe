"""Smartphone screen support across two origins: the snippet on a shop's
page (one origin), the host's console (the server's origin)."""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.live_server import free_port

pytestmark = pytest.mark.browser
SECRET = "hunter2hunter2"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{margin:0;font-family:sans-serif}} header{{background:#246;color:#fff;padding:20px}}
input{{font-size:28px;width:300px;margin:20px;padding:10px;color:#000;background:#fff;
border:2px solid #000}}</style>
</head><body><header>Demo shop</header><h1>{title}</h1>
<form><input id="password" type="password" value=""></form>
<a id="next" href="/page2.html">次のページ</a>
<script src="{server}/embed/snippet.js" data-site-key="{key}" async></script>
</body></html>"""


class ShopHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the shop; ``strict.html`` with the strict CSP the README gives."""

    csp = ""

    def end_headers(self) -> None:
        if self.path.startswith("/strict"):
            self.send_header("Content-Security-Policy", self.csp)
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


def serve(root, port: int, csp: str = "") -> http.server.ThreadingHTTPServer:
    handler = functools.partial(type("Handler", (ShopHandler,), {"csp": csp}), directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def shop(tmp_path_factory, live_server):
    """A shop on its own origin, registered as a site, with the snippet."""
    root = tmp_path_factory.mktemp("shop")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=live_server.url) as admin:
        admin.post(
            "/login", data={"username": "admin", "password": live_server.first_run_password()}
        )
        csrf = re.search(r'csrf-token" content="(\w+)"', admin.get("/account").text)[1]
        site = admin.post(
            "/api/v1/sites",
            json={"name": "Test shop", "origins": [origin]},
            headers={"x-csrf-token": csrf},
        ).json()
    for name, title in [
        ("page1.html", "商品一覧"),
        ("page2.html", "カート"),
        ("strict.html", "厳格なページ"),
    ]:
        (root / name).write_text(
            PAGE.format(title=title, server=live_server.url, key=site["site_key"]), "utf-8"
        )
    bands = "".join(
        f'<div style="height:1000px;background:{colour}"></div>'
        for colour in ["#ff0000", "#00ff00", "#0000ff", "#ffff00"]
    )
    (root / "tall.html").write_text(
        PAGE.format(title="長いページ", server=live_server.url, key=site["site_key"]).replace(
            "<form>", bands + "<form>"
        ),
        "utf-8",
    )
    ws = live_server.url.replace("http", "ws", 1)
    csp = (
        f"default-src 'self'; script-src 'self' {live_server.url}; "
        f"connect-src 'self' {live_server.url} {ws}; img-src 'self' data: blob: {live_server.url}; "
        # No inline script, no eval, no inline style.
        "style-src 'self'"
    )
    server = serve(root, port, csp)
    # The same pages on an origin the site does not list.
    stranger_port = free_port()
    stranger = serve(root, stranger_port)
    yield origin, f"http://127.0.0.1:{stranger_port}"
    server.shutdown()
    stranger.shutdown()


def test_guest_capture_reaches_host_with_title_and_url_across_origins(new_page, live_server, shop):
    shop, _ = shop
    guest = new_page(**PHONE)
    guest.goto(shop + "/page1.html")
    guest.locator("#password").fill(SECRET)
    launcher = guest.get_by_role("button", name="画面サポートを利用する")
    launcher.click()
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    number = guest.get_by_text(re.compile(r"^\d{4}$"))
    expect(number).to_be_visible()

    host = console_host(new_page, live_server)
    type_number(host, number.inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))

    expect(guest.get_by_text("担当者とつながりました")).to_be_visible()
    expect(host.locator("#visited")).to_contain_text("商品一覧")
    guest.get_by_role("button", name="この画面を送信する").click()
    expect(guest.get_by_text("送信しました")).to_be_visible(timeout=20000)

    expect(host.locator("#capture-title")).to_have_text("商品一覧")
    expect(host.locator("#capture-url a")).to_have_attribute("href", shop + "/page1.html")

    # The typed password is masked in the stored image: the field's box is
    # one flat colour, not dark glyphs on white.
    box = guest.locator("#password").bounding_box()
    image_url = host.locator("#capture-image").get_attribute("src")
    stored = host.context.request.get(live_server.url + image_url).body()
    picture = Image.open(io.BytesIO(stored)).convert("RGB")
    scale = picture.width / 390
    inner = (
        int((box["x"] + 12) * scale),
        int((box["y"] + 12) * scale),
        int((box["x"] + box["width"] - 12) * scale),
        int((box["y"] + box["height"] - 12) * scale),
    )
    colours = picture.crop(inner).getcolors(maxcolors=1_000_000)
    dominant = max(colours)[1]
    assert sum(count for count, _ in colours) * 0.97 <= max(colours)[0], "glyphs in the field"
    assert dominant != (255, 255, 255)

    # The guest moves to another page of the shop and stays connected.
    guest.locator("#next").click()
    expect(guest).to_have_url(shop + "/page2.html")
    expect(host.locator("#visited")).to_contain_text("カート")
    guest.get_by_role("button", name="画面サポートを利用する").click()
    guest.get_by_role("button", name="この画面を送信する").click()
    expect(host.locator("#capture-title")).to_have_text("カート")


def test_a_page_on_an_origin_the_site_does_not_allow_gets_no_number(new_page, shop):
    _, stranger = shop
    guest = new_page(**PHONE)
    guest.goto(stranger + "/page1.html")
    guest.get_by_role("button", name="画面サポートを利用する").click()
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    # The browser's CORS preflight is refused, so no number is shown, only advice.
    expect(guest.get_by_text("通信できませんでした")).to_be_visible()
    expect(guest.get_by_text(re.compile(r"^\d{4}$"))).to_have_count(0)


def test_a_snippet_guest_joins_a_running_phone_meeting_flow_2(new_page, live_server, shop):
    shop, _ = shop
    # A phone meeting by number, from the public join page.
    phone = new_page(**PHONE)
    phone.goto(live_server.url + "/join")
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="接続番号を発行する").click()
    expect(phone.locator("#number")).to_have_text(re.compile(r"^\d{4}$"))
    host = console_host(new_page, live_server)
    type_number(host, phone.locator("#number").inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))

    # Mid-call, the guest opens the shop and gets a snippet number.
    guest = new_page(**PHONE)
    guest.goto(shop + "/page1.html")
    guest.get_by_role("button", name="画面サポートを利用する").click()
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    snippet_number = guest.get_by_text(re.compile(r"^\d{4}$"))
    expect(snippet_number).to_be_visible()

    host.get_by_label("画面サポートのお客様を追加（接続番号）").fill(snippet_number.inner_text())
    host.get_by_role("button", name="追加", exact=True).click()

    expect(host.locator("#ask-state")).to_have_text("お客様が画面サポートで参加しました。")
    expect(guest.get_by_text("担当者とつながりました")).to_be_visible()
    guest.get_by_role("button", name="この画面を送信する").click()
    expect(host.locator("#capture-title")).to_have_text("商品一覧")
    expect(host.locator("#timeline")).to_contain_text("画面サポートのお客様が参加しました")


def connect_guest(new_page, live_server, url: str):
    guest = new_page(**PHONE)
    guest.goto(url)
    guest.get_by_role("button", name="画面サポートを利用する").click()
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    number = guest.get_by_text(re.compile(r"^\d{4}$"))
    expect(number).to_be_visible()
    host = console_host(new_page, live_server)
    type_number(host, number.inner_text())
    expect(guest.get_by_text("担当者とつながりました")).to_be_visible()
    return guest, host


def test_the_snippet_works_under_a_strict_content_security_policy(new_page, live_server, shop):
    shop, _ = shop
    guest, host = connect_guest(new_page, live_server, shop + "/strict.html")
    guest.get_by_role("button", name="この画面を送信する").click()
    expect(host.locator("#capture-title")).to_have_text("厳格なページ")
    launcher = guest.get_by_role("button", name="画面サポートを利用する")
    # The widget is styled (constructed stylesheet, not blocked inline CSS).
    assert launcher.evaluate("b => getComputedStyle(b).position") == "fixed"


def test_single_page_navigation_is_reported_and_ending_clears_the_widget(
    new_page, live_server, shop
):
    shop, _ = shop
    guest, host = connect_guest(new_page, live_server, shop + "/page1.html")
    guest.evaluate("history.pushState({}, '', '/page1.html?step=2')")
    expect(host.locator("#visited a").first).to_have_attribute("href", shop + "/page1.html?step=2")

    # The host asks; the guest sees the request and still decides to tap.
    host.get_by_role("button", name="キャプチャを依頼").click()
    expect(guest.get_by_text("担当者が画面の送信を求めています")).to_be_visible()
    expect(guest.get_by_role("button", name="この画面を送信する")).to_be_visible()

    host.get_by_role("button", name="ミーティングを終了").click()

    expect(guest.get_by_text("画面サポートは終了しました。")).to_be_visible()
    stored = guest.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('tsunagu'))")
    assert stored == []


def test_a_scrolled_page_is_captured_as_the_guest_sees_it(new_page, live_server, shop):
    shop, _ = shop
    guest, host = connect_guest(new_page, live_server, shop + "/tall.html")
    # The bands start below the header and title; scroll into the blue one.
    top = guest.evaluate("document.querySelectorAll('div[style]')[2].getBoundingClientRect().top")
    guest.evaluate(f"window.scrollBy(0, {top + 100})")
    guest.get_by_role("button", name="この画面を送信する").click()
    expect(host.locator("#capture-title")).to_have_text("長いページ")
    image_url = host.locator("#capture-image").get_attribute("src")
    stored = host.context.request.get(live_server.url + image_url).body()
    picture = Image.open(io.BytesIO(stored)).convert("RGB")
    middle = picture.getpixel((picture.width // 2, picture.height // 3))
    assert middle[2] > 200 and middle[0] < 60 and middle[1] < 60, middle  # blue, not the top
