"""Smartphone screen support on the shipped test pages (``tests/pages/``): a
guest on a phone-sized page of one origin, the host in the console of the
server's origin. The pages reproduce what real websites do (issue #10)."""

from __future__ import annotations

import io
import json
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.page_server import serve_pages

pytestmark = pytest.mark.browser
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
UNMASKED_BY_SITE = "#order-id"


def site_with_pages(live_server, name: str, unmask: list[str]):
    """The test pages on an origin of their own, registered as a site with
    these unmask selectors, with the site's snippet tag in every page."""
    served = serve_pages(tsunagu_url=live_server.url)
    with httpx.Client(base_url=live_server.url) as admin:
        admin.post(
            "/login", data={"username": "admin", "password": live_server.first_run_password()}
        )
        csrf = re.search(r'csrf-token" content="(\w+)"', admin.get("/account").text)[1]
        site = admin.post(
            "/api/v1/sites",
            json={"name": name, "origins": [served.origin], "unmask_selectors": unmask},
            headers={"x-csrf-token": csrf},
        ).json()
    served.snippet_tag = site["script_tag"]
    served.site_key = site["site_key"]
    return served


@pytest.fixture(scope="module")
def pages(live_server):
    """The test pages as a site that unmasks ``#order-id``."""
    served = site_with_pages(live_server, "Test pages", [UNMASKED_BY_SITE])
    yield served
    served.stop()


def widget(page):
    """The snippet's visible part (its hidden screen-reader announcer aside)."""
    return page.locator("[data-tsunagu] .dock")


class Guest:
    """A phone guest on a page with the snippet, seen through the widget."""

    def __init__(self, page, live_server) -> None:
        self.page = page
        self.server = live_server.url
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def launcher(self):
        return self.page.get_by_role("button", name="画面サポートを利用する")

    def number(self) -> str:
        """Tap the button, agree (one tap), and read the number shown."""
        self.launcher().click()
        self.page.get_by_role("button", name="同意して接続番号を発行").click()
        number = self.page.get_by_text(re.compile(r"^\d{4}$"))
        expect(number).to_be_visible()
        return number.inner_text()

    def text(self, text: str | re.Pattern):
        """Text the widget shows (its hidden screen-reader announcer aside)."""
        return widget(self.page).get_by_text(text)

    def bar(self):
        return self.page.get_by_role("group", name="画面サポート")

    def open_tool(self, name: str) -> None:
        """Open a tool (memo, files, card) from the bar's menu, where a phone has them."""
        self.bar().get_by_role("button", name="メニュー").click()
        self.page.get_by_role("dialog", name="メニュー").get_by_role("button", name=name).click()

    def send_button(self):
        return self.page.get_by_role("button", name="この画面を送信")

    def send(self) -> dict:
        """Send through the owner API and return the stored capture."""
        return self.page.evaluate("Tsunagu.send()")


def connect(new_page, live_server, url: str) -> tuple[Guest, object]:
    guest = Guest(new_page(**PHONE), live_server)
    guest.page.goto(url)
    number = guest.number()
    host = console_host(new_page, live_server)
    type_number(host, number)
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.bar()).to_contain_text("接続中")
    # The meeting view is live (its script runs and has heard the guest).
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")
    expect(host.locator("#guests .guest-source")).to_have_text("スニペット")
    return guest, host


def stored_image(host, live_server, capture: dict) -> Image.Image:
    data = host.context.request.get(f"{live_server.url}/api/v1/captures/{capture['id']}/image")
    assert data.ok, data.status
    return Image.open(io.BytesIO(data.body())).convert("RGBA")


def test_three_taps_to_the_first_capture_and_one_per_capture_on_any_page(
    new_page, live_server, pages
):
    guest = Guest(new_page(**PHONE), live_server)
    guest.page.goto(pages.url("shop.html"))
    guest.launcher().click()  # tap 1
    intro = guest.page.get_by_role("dialog", name="画面サポート")
    # The consent says in plain words what is sent and what is hidden.
    expect(intro).to_contain_text("送る前にこの端末の上で隠されます")
    guest.page.get_by_role("button", name="同意して接続番号を発行").click()  # tap 2
    number = guest.page.get_by_text(re.compile(r"^\d{4}$"))
    expect(number).to_be_visible()

    host = console_host(new_page, live_server)
    type_number(host, number.inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.bar()).to_contain_text("接続中")

    guest.send_button().click()  # tap 3
    expect(widget(guest.page).get_by_text("送信しました")).to_be_visible()
    title = guest.page.title()
    expect(host.locator("#capture-title")).to_have_text(title)
    expect(host.locator("#capture-url a")).to_have_attribute("href", pages.url("shop.html"))

    # On another page of the site the bar is there at once: one tap per capture.
    guest.page.goto(pages.url("landing.html"))
    expect(guest.bar()).to_contain_text("接続中")
    guest.send_button().click()
    expect(host.locator("#capture-title")).to_have_text(guest.page.title())
    assert guest.errors == []


# -- pictures: what the host sees is what the guest sees ------------------------


def rgb(text: str) -> tuple[int, int, int]:
    """``rgb(1, 2, 3)`` (or rgba) as a tuple."""
    return tuple(int(float(part)) for part in re.findall(r"[\d.]+", text)[:3])  # type: ignore[return-value]


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """The RGBA pixels of an image (``getdata`` is deprecated in Pillow 12)."""
    data = image.convert("RGBA").tobytes()
    return [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]


def near(colour, expected, tolerance: int = 28) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour[:3], expected[:3], strict=True))


class Picture:
    """A stored capture, read in the page's CSS pixels."""

    def __init__(self, image: Image.Image, css_width: int = 390) -> None:
        self.image = image
        self.scale = image.width / css_width

    def at(self, x: float, y: float) -> tuple[int, int, int, int]:
        return self.image.getpixel((int(x * self.scale), int(y * self.scale)))

    def box(self, rect: dict, inset: float = 0) -> Image.Image:
        s = self.scale
        return self.image.crop(
            (
                int((rect["x"] + inset) * s),
                int((rect["y"] + inset) * s),
                int((rect["x"] + rect["width"] - inset) * s),
                int((rect["y"] + rect["height"] - inset) * s),
            )
        )


@pytest.fixture(scope="module")
def session(browser, live_server, pages):
    """One phone guest connected to one host, for the picture tests: each
    opens its page and sends; the meeting is never ended here."""
    guest_context = browser.new_context(locale="ja-JP", **PHONE)
    host_context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800})
    guest = Guest(guest_context.new_page(), live_server)
    guest.page.goto(pages.url("backgrounds.html"))
    number = guest.number()
    host = host_context.new_page()
    host.goto(live_server.url + "/login")
    host.get_by_label("ユーザー名").fill("admin")
    host.get_by_label("パスワード").fill(live_server.first_run_password())
    host.get_by_role("button", name="ログイン").click()
    type_number(host, number)
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.bar()).to_contain_text("接続中")
    yield guest, host
    guest_context.close()
    host_context.close()


def capture_of(
    session, live_server, url: str, prepare: str = "", wait_until: str = "load"
) -> tuple[Picture, object]:
    """Open ``url`` on the guest's phone, run ``prepare`` there, send a capture
    and read back what the server stored."""
    guest, host = session
    guest.page.goto(url, wait_until=wait_until)
    expect(guest.bar()).to_contain_text("接続中")
    if prepare:
        guest.page.evaluate(prepare)
    capture = guest.send()
    return Picture(stored_image(host, live_server, capture)), guest.page


def screenshot(page) -> Picture:
    """Chromium's own picture of the same viewport (the widget included)."""
    return Picture(Image.open(io.BytesIO(page.screenshot())).convert("RGBA"))


def rect(page, selector: str) -> dict:
    return page.locator(selector).evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
    )


def background(page, selector: str) -> tuple[int, int, int]:
    return rgb(page.locator(selector).evaluate("e => getComputedStyle(e).backgroundColor"))


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_fixed_and_sticky_bars_are_where_the_guest_sees_them_when_scrolled(
    session, live_server, pages
):
    picture, page = capture_of(session, live_server, pages.url("fixed.html"), "scrollTo(0, 2400)")
    assert page.evaluate("scrollY") == 2400
    for selector in ["#fixed-header", "#sticky-nav", "#bottom-bar"]:
        box = rect(page, selector)
        assert 0 <= box["y"] < 844, f"{selector} is not on screen"
        assert near(picture.at(*centre(box)), background(page, selector)), selector
    # And the content between them is the band that is on screen, not the top's.
    band = page.evaluate("document.elementFromPoint(195, 420).closest('[id^=band]').id")
    assert near(picture.at(195, 420), background(page, f"#{band}")), band


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("backgrounds.html", "document.documentElement"),
        ("backgrounds-body.html", "document.body"),
        ("default-white.html", None),
    ],
)
def test_the_page_background_fills_the_picture(session, live_server, pages, name, source):
    picture, page = capture_of(session, live_server, pages.url(name))
    expected = (
        rgb(page.evaluate(f"getComputedStyle({source}).backgroundColor"))
        if source
        else (255, 255, 255)
    )
    # The bottom corner, below any content: opaque, in the page's colour.
    corner = picture.at(385, 838)
    assert corner[3] == 255 and near(corner, expected, 6), (corner, expected)


def test_nothing_moves_up_from_margin_collapsing(session, live_server, pages):
    picture, page = capture_of(session, live_server, pages.url("margins.html"))
    for selector in ["#top-block", "#mid-block", "#low-block"]:
        box = rect(page, selector)
        colour = background(page, selector)
        x = box["x"] + box["width"] / 2
        assert near(picture.at(x, box["y"] + 3), colour), f"{selector} starts lower"
        assert not near(picture.at(x, box["y"] - 3), colour, 10), f"{selector} starts higher"


def test_a_sideways_scrolled_table_shows_the_columns_in_view(session, live_server, pages):
    prepare = "document.querySelector('#table-wrap').scrollLeft = 600"
    picture, page = capture_of(session, live_server, pages.url("wide-table.html"), prepare)
    header = rect(page, "#col-0")
    wrap = rect(page, "#table-wrap")
    y = header["y"] + header["height"] - 4  # below the header text
    seen = []
    for x in (40, 200, 350):
        column = page.evaluate(f"document.elementFromPoint({x}, {y}).closest('th').id")
        box = rect(page, f"#{column}")
        left = max(box["x"], wrap["x"]) + 4
        assert near(picture.at(left, y), background(page, f"#{column}")), (x, column)
        seen.append(column)
    assert "col-0" not in seen, seen  # scrolled: not the first columns


def test_a_cross_origin_frame_is_a_placeholder_of_its_size(session, live_server, pages):
    picture, page = capture_of(session, live_server, pages.url("iframe.html"))
    frame = rect(page, "#map-frame")
    inside = picture.at(frame["x"] + 12, frame["y"] + 12)
    assert near(inside, (0xEE, 0xF1, 0xF5), 6), inside  # the placeholder, not the page
    below = rect(page, "#below-frame")
    assert near(picture.at(below["x"] + 10, below["y"] + 4), background(page, "#below-frame"))


def test_canvases_are_drawn_or_marked_never_blank(session, live_server, pages):
    picture, page = capture_of(session, live_server, pages.url("canvas.html"))
    webgl = rect(page, "#webgl")
    page_colour = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    corner = picture.at(webgl["x"] + 6, webgl["y"] + 6)
    # WebGL that does not keep its buffer cannot be read back: a placeholder.
    assert near(corner, (0xEE, 0xF1, 0xF5), 6) and not near(corner, page_colour, 4), corner
    # The 2D chart is drawn: its first bar's colour where the bar is.
    bar = page.evaluate(
        """() => {
            const canvas = document.querySelector('#chart');
            const r = canvas.getBoundingClientRect(), w = canvas.width, h = canvas.height;
            const data = canvas.getContext('2d').getImageData(0, 0, w, h).data;
            const k = w / r.width;
            for (let y = Math.floor(h * 0.8); y > 0; y -= 4)
              for (let x = 0; x < w; x += 4) {
                const at = (x) => data.slice((y * w + x) * 4, (y * w + x) * 4 + 3);
                const [red, green, blue] = at(x);
                // the middle of the first red bar's run on this row
                if (red > 200 && green < 80) {
                  let end = x;
                  while (at(end + 1)[0] > 200 && at(end + 1)[1] < 80) end++;
                  return [r.x + (x + end) / 2 / k, r.y + y / k, red, green, blue];
                }
              }
          }"""
    )
    assert bar, "the chart has no red bar"
    assert near(picture.at(bar[0], bar[1]), bar[2:]), (picture.at(bar[0], bar[1]), bar)


def test_placeholders_are_grey_not_drawn_like_typed_text(session, live_server, pages):
    picture, page = capture_of(session, live_server, pages.url("placeholders.html"))
    for selector in ["#ph-name", "#ph-mail"]:
        placeholder = rgb(
            page.locator(selector).evaluate("e => getComputedStyle(e, '::placeholder').color")
        )
        text_colour = rgb(page.locator(selector).evaluate("e => getComputedStyle(e).color"))
        darkest = min(sum(p[:3]) for p in pixels(picture.box(rect(page, selector), 4)))
        assert darkest >= sum(placeholder) - 90, (selector, darkest, placeholder)
        assert darkest > sum(text_colour) + 60, (selector, darkest, text_colour)


def test_lazy_missing_and_unanswered_images_do_not_hold_the_capture(session, live_server, pages):
    guest, host = session
    # /hang.png never answers, so the page never finishes loading.
    guest.page.goto(pages.url("images.html"), wait_until="domcontentloaded")
    expect(guest.bar()).to_contain_text("接続中")
    during: list[str] = []
    record = lambda request: during.append(request.url)  # noqa: E731
    guest.page.on("request", record)
    capture = guest.send()  # returns: the capture finished, the hanging image or not
    guest.page.remove_listener("request", record)
    picture = Picture(stored_image(host, live_server, capture))
    page = guest.page
    # The image that loaded is drawn; the unanswered one's slot is the neutral
    # placeholder; the lazy images far below were not fetched by the capture.
    hero = rect(page, "#hero")
    seen = screenshot(page)
    assert near(picture.at(*centre(hero)), seen.at(*centre(hero))), "the loaded image is missing"
    slot = rect(page, "#img-hang")
    assert near(picture.at(*centre(slot)), (0xE2, 0xE8, 0xF0), 8), picture.at(*centre(slot))
    assert [url for url in during if "hero" in url or "photo" in url], during
    assert not [url for url in during if "lazy-" in url], during


def test_svg_shadow_dom_and_web_fonts_are_drawn(session, live_server, pages):
    guest, _ = session
    for name, selector, part in [
        ("shadow.html", "#card", "e => e.shadowRoot.querySelector('button')"),
        ("svg.html", "#icon-cart", "e => e"),
    ]:
        guest.page.goto(pages.url(name))
        expect(guest.bar()).to_contain_text("接続中")
        seen = screenshot(guest.page)
        picture, page = capture_of(session, live_server, pages.url(name))
        box = page.locator(selector).evaluate(
            f"e => {{ const r = ({part})(e).getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
        )
        for dx, dy in [(0.3, 0.5), (0.5, 0.5), (0.7, 0.5)]:
            x, y = box["x"] + box["width"] * dx, box["y"] + box["height"] * dy
            assert near(picture.at(x, y), seen.at(x, y)), (name, x, y)

    # The web font is inlined into the picture: its glyphs, not a fallback's.
    guest.page.goto(pages.url("fonts.html"))
    guest.page.evaluate("document.fonts.ready.then(() => true)")
    expect(guest.bar()).to_contain_text("接続中")
    seen = screenshot(guest.page)
    picture, page = capture_of(session, live_server, pages.url("fonts.html"))
    logo = rect(page, "#logo")
    drawn = picture.box(logo)
    assert changed_share(seen.box(logo).resize(drawn.size), drawn) < 0.08


def test_a_requirejs_page_keeps_its_loader_and_gets_no_global(session, live_server, pages):
    guest, _ = session
    guest.page.goto(pages.url("requirejs.html"))
    guest.page.wait_for_function("window.appReady === true")
    guest.page.evaluate(
        """() => {
            window.__anonymous = 0;
            const define = window.define;
            window.define = function (...args) {
              if (typeof args[0] !== 'string') window.__anonymous++;
              return define.apply(this, args);
            };
            window.define.amd = define.amd;
            window.__globals = Object.keys(window);
          }"""
    )
    guest.send()
    assert guest.page.evaluate("window.__anonymous") == 0  # nothing registered with AMD
    added = guest.page.evaluate(
        "Object.keys(window).filter(k => !window.__globals.includes(k) && k !== '__globals')"
    )
    assert added == []
    # The page's own loader still loads a module it had not loaded yet.
    assert guest.page.evaluate("requireModule('app/later').then(m => typeof m)") == "object"
    assert guest.errors == []


def test_a_strict_csp_page_is_captured_with_its_styles(session, live_server, pages):
    guest, _ = session
    watch = (
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    guest.page.goto(pages.url("csp.html"))
    expect(guest.bar()).to_contain_text("接続中")
    seen = screenshot(guest.page)
    picture, page = capture_of(session, live_server, pages.url("csp.html"), watch)
    # The styles come from csp.css: the gradient card is drawn as on screen.
    box = rect(page, "#balance")
    for dx, dy in [(8, 8), (box["width"] / 2, 10), (box["width"] - 8, box["height"] - 8)]:
        x, y = box["x"] + dx, box["y"] + dy
        assert near(picture.at(x, y), seen.at(x, y)), (x, y)
    # Nothing the capture did was refused by the page's policy.
    assert page.evaluate("window.__violations") == []


# -- privacy: typed values never reach the picture, nor leave the phone ---------

# Fields that are never shown, whatever the site unmasks.
SECRET_FIELDS = [
    "#by-name-attr",  # type=text name=password
    "#by-ac-current",  # autocomplete=current-password
    "#by-ac-new",  # autocomplete=new-password
    "#by-ac-onetime",  # autocomplete=one-time-code
    "#toggle-field",  # a password field after "show password"
    "#by-name-tel",  # type=tel name=cardnumber
    "#by-name-cv",  # name=cvc
    "#by-ac-billing",  # autocomplete="billing cc-number"
    "#by-ac-upper",  # autocomplete="CC-Number"
    "#by-label-anshou",  # label 暗証番号
    "#by-label-kaado",  # label カード番号
    "#by-label-security",  # label セキュリティコード
    "#user-pin",  # id=user-pin
    "#unmask-but-cc",  # data-tsunagu-unmask, but autocomplete=cc-number
    "#member-no",  # page text marked data-tsunagu-mask
]
# Ordinary fields: private by default, shown where the site unmasks them.
ORDINARY_FIELDS = ["#full-name", "#note", "#pref", "#editable", "#shadow-input"]
UNMASKED_FIELDS = ["#email", "#order-id"]  # data-tsunagu-unmask, the site's selector


def fill_privacy_form(page, value: str, choice: str, shown: str | None = None) -> None:
    """Type ``value`` everywhere (``shown`` instead in the unmasked fields)."""
    for selector in [*SECRET_FIELDS, *ORDINARY_FIELDS, *UNMASKED_FIELDS]:
        typed = shown if shown is not None and selector in UNMASKED_FIELDS else value
        if selector == "#pref":
            page.locator(selector).select_option(choice)
        elif selector == "#member-no":
            page.locator(selector).evaluate("(e, v) => (e.textContent = v)", typed)
        else:
            page.locator(selector).fill(typed)
    if page.locator("#toggle-field").get_attribute("type") == "password":
        page.locator("#pw-toggle").click()  # now type=text, the value in clear
    assert page.locator("#toggle-field").get_attribute("type") == "text"


def capture_screens(guest, host, live_server, positions) -> list[Picture]:
    pictures = []
    for top in positions:
        guest.page.evaluate(f"scrollTo(0, {top})")
        pictures.append(Picture(stored_image(host, live_server, guest.send())))
    return pictures


def changed_share(a: Image.Image, b: Image.Image) -> float:
    """The share of pixels that differ visibly between two crops."""
    pairs = list(zip(pixels(a), pixels(b), strict=True))
    changed = sum(
        1 for p, q in pairs if max(abs(x - y) for x, y in zip(p[:3], q[:3], strict=True)) > 48
    )
    return changed / max(1, len(pairs))


@pytest.fixture(scope="module")
def open_site(live_server):
    """The test pages again, on an origin whose site unmasks every field."""
    served = site_with_pages(
        live_server, "Unmasks everything", ["input", "textarea", "select", "[contenteditable]"]
    )
    yield served
    served.stop()


@pytest.mark.parametrize("site", ["default", "everything unmasked"])
def test_typed_values_never_reach_the_picture_nor_leave_the_phone(
    new_page, live_server, pages, open_site, site
):
    served = pages if site == "default" else open_site
    shown = UNMASKED_FIELDS + (ORDINARY_FIELDS if site != "default" else [])
    hidden = SECRET_FIELDS + (ORDINARY_FIELDS if site == "default" else [])
    guest, host = connect(new_page, live_server, served.url("privacy.html"))
    page = guest.page
    bodies: list[bytes] = []
    page.on(
        "request",
        lambda request: (
            request.url.startswith(live_server.url)
            and bodies.append(request.url.encode() + (request.post_data_buffer or b""))
        ),
    )
    # Screens that together show every field whole.
    tops = page.evaluate(
        """selectors => selectors.map(s => {
            const r = document.querySelector(s)?.getBoundingClientRect()
              ?? document.querySelector('#shadow-host').getBoundingClientRect();
            return [r.top + scrollY, r.bottom + scrollY];
          })""",
        hidden + shown,
    )
    positions: list[int] = []
    for top, bottom in sorted(tops):
        if not positions or bottom > positions[-1] + 780:
            positions.append(max(0, int(top) - 40))

    first, second = "WM84WM84 WM84", "ii"
    fill_privacy_form(page, first, "13")
    before = capture_screens(guest, host, live_server, positions)
    fill_privacy_form(page, second, "47")
    after = capture_screens(guest, host, live_server, positions)

    for selector in hidden + shown:
        box = None
        for index, top in enumerate(positions):
            page.evaluate(f"scrollTo(0, {top})")
            candidate = rect(page, selector)
            if candidate["y"] >= 0 and candidate["y"] + candidate["height"] <= 844:
                box = (index, candidate)
                break
        assert box, f"{selector} is never wholly on screen"
        index, where = box
        share = changed_share(before[index].box(where, 3), after[index].box(where, 3))
        if selector in hidden:
            # The box looks the same whatever was typed: no glyph, no length.
            assert share < 0.01, (selector, share)
        else:
            assert share > 0.03, (selector, share)  # proves the comparison sees text

    # Nothing typed went out in any request to the server (fields, URLs, titles).
    assert bodies and not [body for body in bodies if first.encode() in body]
    assert guest.errors == []


def test_masked_values_never_enter_the_copy_that_is_drawn(new_page, live_server, pages):
    page = new_page(**PHONE)
    page.goto(pages.url("privacy.html"))
    fill_privacy_form(page, "WM84WM84 WM84", "13", shown="shown@example.jp")
    copies = page.evaluate(
        """async (server) => {
            const { capture } = await import(server + '/embed/capture.js');
            const copies = [];
            for (let top = 0; top < document.body.scrollHeight; top += 700) {
              scrollTo(0, top);
              const inspect = (svg) => copies.push(new XMLSerializer().serializeToString(svg));
              await capture({ inspect });
            }
            return copies;
          }""",
        live_server.url,
    )
    assert len(copies) >= 4  # the whole form, screen by screen
    drawn = "".join(copies)
    assert drawn.count("●●●● 非表示") >= len(SECRET_FIELDS) + len(ORDINARY_FIELDS) - 2
    assert "WM84" not in drawn  # in no attribute, no text, on no screen
    assert 'value="shown@example.jp"' in drawn  # while unmasked fields are copied
    assert "M-8237" not in drawn and "東京都" not in drawn


# -- the guest's bar ---------------------------------------------------------------


def test_the_bar_moves_folds_and_stays_so_on_the_next_page(new_page, live_server, pages):
    guest, _ = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    right = guest.bar().bounding_box()
    page.get_by_role("button", name="メニュー").click()
    page.get_by_role("button", name="左に移動").click()
    left = guest.bar().bounding_box()
    assert right["x"] + right["width"] >= 390 - 16 and left["x"] <= 16, (left, right)

    page.get_by_role("button", name="メニュー").click()
    page.get_by_role("button", name="小さくする").click()
    expect(guest.bar()).to_have_count(0)
    tab = page.get_by_role("button", name="画面サポートを開く")
    expect(tab).to_be_visible()
    assert tab.bounding_box()["width"] <= 48  # a small tab, not a bar over the page

    page.goto(pages.url("landing.html"))  # folded on the next page too, on the left
    expect(tab).to_be_visible()
    page.wait_for_function(
        "document.querySelector('[data-tsunagu]').shadowRoot.querySelector('.tab')"
        ".getBoundingClientRect().x <= 16"
    )
    tab.click()
    expect(guest.bar()).to_contain_text("接続中")
    guest.send_button().click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()


def test_a_capture_request_highlights_the_bar_until_a_capture_is_sent(new_page, live_server, pages):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    host.get_by_role("button", name="キャプチャを依頼").click()
    asked = widget(page).get_by_text("担当者が画面の送信を求めています")
    expect(asked).to_be_visible()
    expect(guest.bar()).to_have_class(re.compile(r"\bask\b"))

    # Still asked on the next page (the guest went to find the right one)...
    hellos: list[dict] = []
    page.on(
        "websocket",
        lambda socket: socket.on("framesent", lambda frame: hellos.append(json.loads(frame))),
    )
    page.goto(pages.url("landing.html"))
    expect(asked).to_be_visible()
    guest.send_button().click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    expect(guest.bar()).not_to_have_class(re.compile(r"\bask\b"))

    # ...and answered: the request is not shown again on the page after, because
    # the live channel resumes after the last event this tab saw.
    page.goto(pages.url("shop.html"))
    expect(guest.bar()).to_contain_text("接続中")
    expect(guest.send_button()).to_be_enabled()
    expect(asked).to_have_count(0)
    resumed = [hello["after"] for hello in hellos if hello.get("type") == "hello"]
    assert resumed and all(after > 0 for after in resumed), hellos


def test_a_widget_that_fails_to_load_is_fetched_again(new_page, live_server, pages):
    guest = Guest(new_page(**PHONE), live_server)
    page = guest.page
    fetched: list[str] = []

    def drop_first(route) -> None:
        fetched.append(route.request.url)
        if len(fetched) == 1:
            route.abort("connectionreset")  # a phone changing networks mid-tap
        else:
            route.continue_()

    page.route(re.compile(r".*/embed/widget\.js$"), drop_first)
    page.goto(pages.url("shop.html"))
    guest.launcher().click()
    # Tried again by itself: the guest never sees the dropped request.
    expect(page.get_by_role("button", name="同意して接続番号を発行")).to_be_visible()
    assert len(fetched) == 2

    # Offline for longer: told so, and the next tap tries again.
    other = Guest(new_page(**PHONE), live_server)
    offline = re.compile(r".*/embed/widget\.js$")
    other.page.route(offline, lambda route: route.abort("internetdisconnected"))
    other.page.goto(pages.url("shop.html"))
    other.launcher().click()
    expect(widget(other.page).get_by_role("button", name="通信できませんでした")).to_be_visible()
    other.page.unroute(offline)
    widget(other.page).get_by_role("button", name="通信できませんでした").click()
    expect(other.page.get_by_role("button", name="同意して接続番号を発行")).to_be_visible()
    assert guest.errors == [] and other.errors == []


def test_a_failed_send_says_why_and_can_be_sent_again(new_page, live_server, pages):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    uploads = re.compile(r".*/api/v1/guest/captures$")

    page.route(uploads, lambda route: route.abort("internetdisconnected"))
    guest.send_button().click()
    expect(widget(page).get_by_text("通信できませんでした")).to_be_visible()
    page.unroute(uploads)
    page.get_by_role("button", name="もう一度送る").click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    expect(host.locator("#capture-title")).to_have_text(page.title())

    too_many = {"error": {"code": "too_many_captures", "message": "Too many"}}
    page.route(uploads, lambda route: route.fulfill(status=429, json=too_many))
    guest.send_button().click()
    expect(widget(page).get_by_text("続けて送りすぎました")).to_be_visible()
    page.unroute(uploads)

    # The end stays one tap away while a failure is shown.
    expect(page.get_by_role("button", name="終了", exact=True)).to_be_visible()

    # Too large: once more smaller, then told.
    attempts: list[int] = []
    too_large = {"error": {"code": "capture_too_large", "message": "Too large"}}

    def refuse(route) -> None:
        attempts.append(len(route.request.post_data_buffer or b""))
        route.fulfill(status=413, json=too_large)

    page.route(uploads, refuse)
    page.get_by_role("button", name="もう一度送る").click()
    expect(widget(page).get_by_text("画面の画像が大きすぎて送れませんでした")).to_be_visible()
    assert len(attempts) == 2 and attempts[1] < attempts[0], attempts
    page.unroute(uploads)

    # The meeting ended meanwhile: the bar goes, and the guest is told.
    ended = {"error": {"code": "meeting_ended", "message": "Ended"}}
    page.route(uploads, lambda route: route.fulfill(status=409, json=ended))
    page.get_by_role("button", name="もう一度送る").click()
    expect(widget(page).get_by_text("画面サポートは終了しました。")).to_be_visible()
    expect(guest.bar()).to_have_count(0)


def test_ending_is_one_tap_away_and_confirmed(new_page, live_server, pages):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    page.get_by_role("button", name="終了", exact=True).click()
    expect(widget(page).get_by_text("画面サポートを終了しますか？")).to_be_visible()
    page.get_by_role("button", name="戻る").click()
    expect(guest.bar()).to_contain_text("接続中")  # nothing ended by a slip

    page.get_by_role("button", name="終了", exact=True).click()
    page.get_by_role("button", name="終了する").click()
    expect(widget(page).get_by_text("画面サポートは終了しました。")).to_be_visible()
    expect(host.get_by_text("お客様が退出したため、ミーティングは終了しました。")).to_be_visible()
    page.goto(pages.url("landing.html"))
    expect(guest.launcher()).to_be_visible()  # a new visit starts afresh
    expect(guest.bar()).to_have_count(0)


def test_after_the_host_ends_the_page_is_left_alone(new_page, live_server, pages):
    page = new_page(**PHONE)
    page.clock.install()
    guest = Guest(page, live_server)
    sockets: list = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(pages.url("shop.html"))
    number = guest.number()
    host = console_host(new_page, live_server)
    type_number(host, number)
    expect(guest.bar()).to_contain_text("接続中")

    host.get_by_role("button", name="ミーティングを終了").click()
    # The view becomes the record: loaded again, whole, before the test goes
    # on (a context closed while its page still navigates can hang Chromium).
    expect(host.get_by_role("heading", level=1)).to_contain_text("の記録")
    host.wait_for_load_state("load")
    expect(widget(page).get_by_text("画面サポートは終了しました。")).to_be_visible()
    opened = len(sockets)
    sent_after_end: list = []
    for socket in sockets:
        socket.on("framesent", lambda frame: sent_after_end.append(frame))
    page.clock.run_for(60_000)  # a minute of timers: pings, reconnects, countdowns
    assert guest.errors == []  # nothing thrown into the owner's error monitoring
    assert len(sockets) == opened and all(socket.is_closed() for socket in sockets)
    assert sent_after_end == []
    # The guest token is gone from the tab; only the bar's side and fold remain.
    stored = page.evaluate(f"JSON.parse(sessionStorage.getItem('tsunagu:{pages.site_key}'))")
    assert set(stored) == {"side", "fold"}, stored


# -- the live channel -------------------------------------------------------------


def test_a_guest_whose_socket_is_dropped_reconnects_and_is_connected(new_page, live_server, pages):
    page = new_page(**PHONE)
    guest = Guest(page, live_server)
    opened: list = []

    def drop_the_first(socket) -> None:
        server = socket.connect_to_server()
        opened.append(socket)
        if len(opened) == 1:
            # The server side goes away right after the hello (a proxy restart).
            def hello(message) -> None:
                server.send(message)
                socket.close(code=1011, reason="gone")

            socket.on_message(hello)

    page.route_web_socket(re.compile(r".*/api/v1/guest/live$"), drop_the_first)
    page.goto(pages.url("shop.html"))
    number = guest.number()
    host = console_host(new_page, live_server)
    type_number(host, number)
    # Told through the second socket: the first was closed before the claim.
    expect(guest.bar()).to_contain_text("接続中")
    assert len(opened) >= 2


def test_a_token_the_server_refuses_gives_way_to_a_new_number(new_page, live_server, pages):
    page = new_page(**PHONE)
    guest = Guest(page, live_server)
    page.goto(pages.url("shop.html"))
    forged = json.dumps({"t": "forged.token.value", "s": "connected", "a": 5})
    page.evaluate(f"sessionStorage.setItem('tsunagu:{pages.site_key}', {json.dumps(forged)})")
    page.reload()
    # Refused (401 and socket close 4401): the widget starts afresh...
    expect(guest.launcher()).to_be_visible()
    # ...and a new number connects, with a socket on the new token.
    number = guest.number()
    host = console_host(new_page, live_server)
    type_number(host, number)
    expect(guest.bar()).to_contain_text("接続中")
    assert guest.errors == []


def test_an_origin_the_site_does_not_list_gets_advice_and_a_console_warning(
    new_page, live_server, pages
):
    stranger = serve_pages(pages.snippet_tag, tsunagu_url=live_server.url)
    try:
        page = new_page(**PHONE)
        warnings: list[str] = []
        page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
        page.goto(stranger.url("shop.html"))
        page.get_by_role("button", name="画面サポートを利用する").click()
        page.get_by_role("button", name="同意して接続番号を発行").click()
        expect(
            widget(page).get_by_text("このページでは画面サポートをご利用いただけません")
        ).to_be_visible()
        expect(page.get_by_text(re.compile(r"^\d{4}$"))).to_have_count(0)
        # The owner trying the tag is told which origin to register.
        assert [w for w in warnings if "Tsunagu" in w and stranger.origin in w], warnings
    finally:
        stranger.stop()


def test_long_addresses_and_odd_titles_are_shortened_not_refused(new_page, live_server, pages):
    guest, host = connect(new_page, live_server, pages.url("spa.html"))
    guest.page.evaluate(
        "history.pushState({}, '', '/spa.html?q=' + 'x'.repeat(3000));"
        "document.title = 'ご注文\\u0000確認\\u001b\\n' + 'あ'.repeat(600)"
    )
    capture = guest.send()
    assert len(capture["url"]) <= 2048 and capture["url"].endswith("…")
    assert capture["url"].startswith(pages.url("spa.html?q=xxx"))
    assert capture["title"].startswith("ご注文 確認 あ") and len(capture["title"]) <= 500
    expect(host.locator("#capture-title")).to_have_text(capture["title"])
    expect(host.locator("#visited")).to_contain_text("ご注文 確認")


def test_single_page_navigation_is_reported_once_per_address(new_page, live_server, pages):
    guest, host = connect(new_page, live_server, pages.url("spa.html"))
    guest.page.locator("#filter-active").click()
    expect(host.locator("#visited a").first).to_have_attribute(
        "href", re.compile(r"/active$|#/active$")
    )
    # An app that rewrites the same address over and over is one visit.
    before = host.locator("#visited li").count()
    guest.page.evaluate("for (let i = 0; i < 20; i++) history.replaceState({i}, '', location.href)")
    guest.page.locator("#filter-completed").click()
    expect(host.locator("#visited a").first).to_have_attribute(
        "href", re.compile(r"/completed$|#/completed$")
    )
    assert host.locator("#visited li").count() == before + 1


# -- the page's own controls and the owner's API -----------------------------------


def test_the_button_never_covers_a_cookie_banner_button(new_page, live_server, pages):
    page = new_page(**PHONE)
    page.goto(pages.url("cookie.html"))
    launcher = Guest(page, live_server).launcher()
    expect(launcher).to_be_visible()
    ok = page.locator("#cookie-ok")
    page.wait_for_function(
        "() => { const b = document.querySelector('[data-tsunagu]').shadowRoot"
        ".querySelector('.launch').getBoundingClientRect();"
        " return b.bottom <= document.querySelector('#cookie-ok').getBoundingClientRect().top; }"
    )
    ok.click()  # Playwright refuses a click that something else would receive
    expect(page.locator("#cookie-banner")).to_be_hidden()
    launcher.click()  # and the button is still there for the guest
    expect(page.get_by_role("dialog", name="画面サポート")).to_be_visible()


def test_owners_drive_the_widget_with_window_tsunagu(new_page, live_server, pages):
    page = new_page(**PHONE)
    guest = Guest(page, live_server)
    page.goto(pages.url("shop.html"))
    page.evaluate(
        """() => {
            window.heard = [];
            for (const name of ['connected', 'sent', 'ended'])
              Tsunagu.on(name, (detail) => heard.push(name));
            addEventListener('tsunagu:sent', (e) => heard.push('window:sent ' + e.detail.id));
          }"""
    )
    assert page.evaluate("Tsunagu.state") == "idle"
    page.evaluate("Tsunagu.open()")
    page.get_by_role("button", name="同意して接続番号を発行").click()
    number = page.get_by_text(re.compile(r"^\d{4}$"))
    expect(number).to_be_visible()
    assert page.evaluate("Tsunagu.state") == "waiting"
    host = console_host(new_page, live_server)
    type_number(host, number.inner_text())
    page.wait_for_function("Tsunagu.state === 'connected'")

    capture = page.evaluate("Tsunagu.send()")
    expect(host.locator("#capture-title")).to_have_text(page.title())
    page.evaluate("Tsunagu.end()")
    page.wait_for_function("Tsunagu.state === 'idle'")
    expect(host.get_by_text("お客様が退出したため、ミーティングは終了しました。")).to_be_visible()
    assert page.evaluate("heard") == ["connected", "sent", f"window:sent {capture['id']}", "ended"]
    # Sending when not connected is refused with a code the page can act on.
    refused = page.evaluate("Tsunagu.send().then(() => 'sent', (e) => e.code)")
    assert refused == "not_connected"
    assert guest.errors == []


def test_a_snippet_guest_joins_a_running_phone_meeting_flow_2(new_page, live_server, pages):
    phone = new_page(**PHONE)
    phone.goto(live_server.url + "/join")
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="接続番号を発行する").click()
    expect(phone.locator("#number")).to_have_text(re.compile(r"^\d{4}$"))
    host = console_host(new_page, live_server)
    type_number(host, phone.locator("#number").inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))

    # Mid-call, the guest opens the shop and gets a snippet number.
    guest = Guest(new_page(**PHONE), live_server)
    guest.page.goto(pages.url("shop.html"))
    snippet_number = guest.number()
    host.get_by_role("button", name="画面キャプチャ").click()  # the captures tool
    host.get_by_label("画面サポートのお客様を追加（接続番号）").fill(snippet_number)
    host.get_by_role("button", name="追加", exact=True).click()

    expect(host.locator("#ask-state")).to_have_text("お客様が画面サポートで参加しました。")
    expect(guest.bar()).to_contain_text("接続中")
    guest.send_button().click()
    expect(host.locator("#capture-title")).to_have_text(guest.page.title())
    expect(host.locator("#timeline")).to_contain_text(
        f"お客様 2 が番号 {snippet_number} で参加しました"
    )
    expect(host.locator("#guests .guest-source")).to_have_text(["番号", "スニペット"])


def test_a_closed_socket_or_a_failing_server_is_retried_until_connected(
    new_page, live_server, pages
):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    # The next page loads while the server is restarting: the session answers
    # 502 once, and the new socket is closed at once with 4401 once.
    failures = {"session": 1, "socket": 1}

    def session(route) -> None:
        if failures["session"]:
            failures["session"] -= 1
            return route.fulfill(status=502, body="Bad gateway")
        return route.continue_()

    def socket(ws) -> None:
        server = ws.connect_to_server()
        if failures["socket"]:
            failures["socket"] -= 1

            def hello(message) -> None:
                server.send(message)
                ws.close(code=4401, reason="try again")

            ws.on_message(hello)

    page.route(re.compile(r".*/api/v1/guest/session$"), session)
    page.route_web_socket(re.compile(r".*/api/v1/guest/live$"), socket)
    page.goto(pages.url("landing.html"))
    # Still the guest's page: a request from the host arrives, over a new socket.
    host.get_by_role("button", name="キャプチャを依頼").click()
    expect(widget(page).get_by_text("担当者が画面の送信を求めています")).to_be_visible()
    assert failures == {"session": 0, "socket": 0}
    guest.send_button().click()
    expect(host.locator("#capture-title")).to_have_text(page.title())


def test_frames_and_media_of_any_origin_never_put_their_content_in_the_copy(
    session, live_server, pages
):
    guest, host = session
    page = guest.page
    page.goto(pages.url("media.html"))
    expect(guest.bar()).to_contain_text("接続中")
    editor = page.frame_locator("#editor-frame")
    editor.locator("#body").fill("WM84 in the editor")
    editor.locator("#field").fill("WM84 in a field")
    page.frame_locator("#far-frame").locator("#far-field").fill("WM84 far below")
    page.evaluate("scrollTo(0, 0)")
    drawn = page.evaluate(
        """async (server) => {
            const { capture } = await import(server + '/embed/capture.js');
            let copy = '';
            const inspect = (svg) => (copy = new XMLSerializer().serializeToString(svg));
            await capture({ inspect });
            return copy;
          }""",
        live_server.url,
    )
    assert "WM84" not in drawn
    # The picture finishes though the video far below never loads; the editor
    # is a labelled box of its size, and what is below it has not moved up.
    picture = Picture(stored_image(host, live_server, guest.send()))
    frame = rect(page, "#editor-frame")
    assert near(picture.at(frame["x"] + 10, frame["y"] + 10), (0xEE, 0xF1, 0xF5), 6)
    below = rect(page, "#below-editor")
    assert near(picture.at(below["x"] + 6, below["y"] + 4), background(page, "#below-editor"))


def test_an_app_that_scrolls_inside_a_box_keeps_its_fixed_bars(session, live_server, pages):
    prepare = "document.querySelector('#app').scrollTop = 1500"
    picture, page = capture_of(session, live_server, pages.url("app-shell.html"), prepare)
    assert page.evaluate("scrollY") == 0  # the page itself does not scroll
    for selector in ["#app-header", "#tab-bar"]:
        box = rect(page, selector)
        assert near(picture.at(box["x"] + 8, box["y"] + 4), background(page, selector)), selector
    card = page.evaluate("document.elementFromPoint(195, 420).closest('.card').id")
    assert card not in ("card-1", "card-2")  # scrolled down, as on screen
    box = rect(page, f"#{card}")
    assert near(picture.at(box["x"] + 8, box["y"] + 4), background(page, f"#{card}")), card
