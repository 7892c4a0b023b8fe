"""Accessibility of every console and guest page, checked by axe-core.

axe-core (vendored for the tests only, ``tests/vendor/``, see ``make
vendor-tests``) runs in Debian's Chromium on each page in the states a person
meets it in: the console at 1280x800, the guest's pages at 390x844. Serious
and critical violations fail the test, which names each rule, its impact, the
elements and the page explaining the fix.

To check a new page or state, add one line to ``SCREENS``: a name and a
function that opens the page in that state (the helpers below do the work).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.test_devices_browser import IPHONE
from tests.test_meeting_browser import PHONE
from tests.test_video_browser import REFUSE_CAMERA

pytestmark = pytest.mark.browser
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
CONSOLE = {"viewport": {"width": 1280, "height": 800}}
BLOCKING = ("serious", "critical")
PASSWORD = "correct horse battery"
_hosts = itertools.count(1)


# -- running axe ------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict]:
    """Every axe-core violation on the page as it is now, in every frame's
    document and every open shadow root (axe walks into them itself)."""
    # Evaluated through the DevTools protocol, the script is not subject to
    # the console's CSP (script-src 'self'), which a <script> tag would be.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map((node) => node.target),
            }));
        }"""
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}\n"
        + "".join(f"  at {target}\n" for target in v["targets"])
        for v in violations
    )


def assert_accessible(page: Page) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"


# -- people and pages -------------------------------------------------------------


class Tsunagu:
    """The live server, with ways to open its pages as an admin, as a new
    host of one's own (whose dashboard and lists hold only what the test
    made), or as a guest on a phone."""

    def __init__(self, live_server, new_page) -> None:
        self.server = live_server
        self.url = live_server.url
        self.new_page = new_page
        self.clients: list[httpx.Client] = []
        self.admin = self.logged_in("admin", live_server.first_run_password())

    def logged_in(self, username: str, password: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url)
        self.clients.append(client)
        answer = client.post("/login", data={"username": username, "password": password})
        assert answer.status_code == 303, answer.text
        token = re.search(r'csrf-token" content="(\w+)"', client.get("/account").text)[1]
        client.headers["x-csrf-token"] = token
        return client

    def new_host(self) -> httpx.Client:
        name = f"axe-host-{next(_hosts)}"
        made = self.admin.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD, "display_name": f"Host {name[-1]}"},
        )
        assert made.status_code == 201, made.text
        return self.logged_in(name, PASSWORD)

    def console(self, path: str, user: httpx.Client | None = None) -> Page:
        """A console page at 1280x800, logged in as ``user`` (the admin by default)."""
        page = self.new_page(**CONSOLE)
        cookies = (user or self.admin).cookies
        page.context.add_cookies(
            [{"name": name, "value": value, "url": self.url} for name, value in cookies.items()]
        )
        page.goto(self.url + path)
        return page

    def phone(self, url: str) -> Page:
        page = self.new_page(**PHONE)
        page.goto(url if url.startswith("http") else self.url + url)
        return page

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def tsunagu(live_server, new_page):
    world = Tsunagu(live_server, new_page)
    yield world
    world.close()


def claim(host: httpx.Client, number: str) -> int:
    started = host.post("/api/v1/meetings", json={"number": number})
    assert started.status_code == 201, started.text
    return started.json()["id"]


def join_waiting(t: Tsunagu) -> Page:
    """A phone guest on /join who agreed and holds a number."""
    guest = t.phone("/join")
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    expect(guest.locator("#number")).to_have_text(re.compile(r"^\d{4}$"))
    return guest


def join_connected(t: Tsunagu, host: httpx.Client) -> tuple[Page, int]:
    guest = join_waiting(t)
    meeting = claim(host, guest.locator("#number").inner_text())
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return guest, meeting


def shop_intro(t: Tsunagu) -> Page:
    """A phone guest on the demo shop who tapped the snippet's button."""
    guest = t.phone(t.server.demo_url + "/")
    guest.get_by_role("button", name="画面サポートを利用する").click()
    expect(guest.get_by_role("dialog", name="画面サポート")).to_be_visible()
    return guest


def shop_number_shown(guest: Page):
    """The number in the snippet's widget (its hidden announcer aside)."""
    return guest.locator("[data-tsunagu] .dock").get_by_text(re.compile(r"^\d{4}$"))


def shop_number(t: Tsunagu) -> Page:
    guest = shop_intro(t)
    guest.get_by_role("button", name="同意して接続番号を発行").click()
    expect(shop_number_shown(guest)).to_be_visible()
    return guest


def shop_connected(t: Tsunagu, host: httpx.Client) -> tuple[Page, int]:
    guest = shop_number(t)
    meeting = claim(host, shop_number_shown(guest).inner_text())
    expect(guest.get_by_role("group", name="画面サポート")).to_contain_text("接続中")
    return guest, meeting


# Enough events that the meeting's timeline scrolls, as it does in a long call.
EVENTS = 25


def meeting_with_capture(t: Tsunagu) -> tuple[Page, Page]:
    """A snippet guest who sent a capture in a long meeting, and their
    host's meeting page."""
    host = t.new_host()
    guest, meeting = shop_connected(t, host)
    for _ in range(EVENTS):
        assert host.post(f"/api/v1/meetings/{meeting}/capture-request").status_code == 204
    guest.get_by_role("button", name="この画面を送信").click()
    # Rasterising the page takes a few seconds on a busy machine.
    sent = guest.locator("[data-tsunagu] .dock").get_by_text("送信しました")
    expect(sent).to_be_visible(timeout=30_000)
    page = t.console(f"/meetings/{meeting}", host)
    expect(page.locator("#guests .guest-status")).to_have_text("接続中")
    # The capture on the stage (its page's title under it).
    expect(page.locator("#capture-title")).to_have_text("商品一覧 | つなぐ雑貨店（デモ）")
    return guest, page


def png() -> bytes:
    """A small PNG: enough for a capture where the picture does not matter."""
    data = io.BytesIO()
    Image.new("RGB", (390, 844), "#0b6e4f").save(data, "PNG")
    return data.getvalue()


def ended_meeting(t: Tsunagu, host: httpx.Client) -> int:
    """A meeting that happened (a guest, a capture) and was ended by its host."""
    numbers = httpx.post(t.url + "/api/v1/guest/numbers").json()
    meeting = claim(host, numbers["number"])
    sent = httpx.post(
        t.url + "/api/v1/guest/captures",
        headers={"authorization": f"Bearer {numbers['guest_token']}"},
        data={
            "url": "https://shop.example/cart",
            "title": "カート",
            "viewport_width": "390",
            "viewport_height": "844",
            "device_pixel_ratio": "3",
        },
        files={"image": ("capture.png", png(), "image/png")},
    )
    assert sent.status_code == 201, sent.text
    for page in range(EVENTS):
        visited = httpx.post(
            t.url + "/api/v1/guest/pages",
            headers={"authorization": f"Bearer {numbers['guest_token']}"},
            json={"url": f"https://shop.example/products/{page}", "title": f"商品 {page}"},
        )
        assert visited.status_code == 204, visited.text
    assert host.post(f"/api/v1/meetings/{meeting}/end").status_code == 200
    return meeting


# -- the screens ------------------------------------------------------------------


def login(t: Tsunagu) -> Page:
    page = t.new_page(**CONSOLE)
    page.goto(t.url + "/login")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    return page


def dashboard_empty(t: Tsunagu) -> Page:
    page = t.console("/", t.new_host())
    expect(page.locator("#no-live")).to_be_visible()
    return page


def dashboard_live(t: Tsunagu) -> Page:
    host = t.new_host()
    _, meeting = join_connected(t, host)
    page = t.console("/", host)
    expect(page.locator(f'#live-meetings [data-meeting="{meeting}"]')).to_contain_text("接続中")
    return page


def meeting_waiting_for_link(t: Tsunagu) -> Page:
    host = t.new_host()
    meeting = host.post("/api/v1/meetings/by-link", json={}).json()["meeting"]["id"]
    page = t.console(f"/meetings/{meeting}", host)
    expect(page.locator("#no-guests")).to_have_text("まだお客様は参加していません。")
    return page


def meeting_live_with_capture(t: Tsunagu) -> Page:
    return meeting_with_capture(t)[1]


def meeting_live_video(t: Tsunagu) -> Page:
    host = t.new_host()
    _, meeting = join_connected(t, host)
    page = t.console(f"/meetings/{meeting}", host)
    expect(page.locator("#guests .guest-status")).to_have_text("接続中")
    return page


def meeting_ended(t: Tsunagu) -> Page:
    host = t.new_host()
    page = t.console(f"/meetings/{ended_meeting(t, host)}", host)
    # The end in the timeline: the live view's today, the record's once it is one.
    expect(page.get_by_text("ミーティング終了").first).to_be_visible()
    return page


def meeting_memo_open(t: Tsunagu) -> Page:
    """The host's meeting with the shared memo's panel open, a guest typing in it."""
    host = t.new_host()
    _, meeting = join_connected(t, host)
    page = t.console(f"/meetings/{meeting}", host)
    page.get_by_role("button", name="共有メモ").click()
    expect(page.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")
    return page


def join_connected_memo(t: Tsunagu) -> Page:
    guest = join_connected(t, t.new_host())[0]
    expect(guest.get_by_role("heading", name="共有メモ")).to_be_visible()
    return guest


def shop_memo_open(t: Tsunagu) -> Page:
    guest = shop_connected_page(t)
    guest.get_by_role("button", name="メニュー").click()
    guest.get_by_role("button", name="共有メモを開く").click()
    expect(guest.locator("[data-tsunagu] .memo-text")).to_be_visible()
    return guest


def history(t: Tsunagu) -> Page:
    host = t.new_host()
    ended_meeting(t, host)
    page = t.console("/meetings", host)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def outbox(t: Tsunagu) -> Page:
    host = t.new_host()
    sent = host.post("/api/v1/meetings/by-link", json={"phone": "090-3000-0001"})
    assert sent.status_code == 201, sent.text
    page = t.console("/outbox", host)
    expect(page.locator("table.outbox tbody tr")).to_have_count(1)
    return page


def site(t: Tsunagu) -> Page:
    demo = t.admin.get("/api/v1/sites").json()["sites"][0]
    page = t.console(f"/admin/sites/{demo['id']}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def account(t: Tsunagu) -> Page:
    host = t.new_host()
    assert host.post("/api/v1/tokens", json={"name": "CRM"}).status_code == 201
    page = t.console("/account", host)
    expect(page.get_by_role("cell", name="CRM")).to_be_visible()
    return page


def console_page(path: str) -> Callable[[Tsunagu], Page]:
    """A console page with nothing to prepare, as the admin."""

    def open_page(t: Tsunagu) -> Page:
        page = t.console(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        return page

    return open_page


def console_error(t: Tsunagu) -> Page:
    page = t.console("/meetings/999999999")
    expect(page.get_by_role("heading", level=1)).to_contain_text("404")
    return page


def guest_error(t: Tsunagu) -> Page:
    page = t.phone("/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_contain_text("404")
    return page


def join_entry(t: Tsunagu) -> Page:
    page = t.phone("/join")
    expect(page.get_by_role("button", name="接続番号を発行する")).to_be_visible()
    return page


def join_connected_page(t: Tsunagu) -> Page:
    return join_connected(t, t.new_host())[0]


# -- issue #14 video: the device check, browser audio, the camera menu


def join_device_check_refused(t: Tsunagu) -> Page:
    """The join page's device check on an iPhone whose camera was refused:
    Safari's steps to allow it."""
    page = t.new_page(**PHONE, user_agent=IPHONE)
    page.add_init_script(REFUSE_CAMERA)
    page.goto(t.url + "/join")
    expect(page.locator("#device-check .device-check-steps:visible")).to_have_count(1)
    return page


def video_with_browser_audio(t: Tsunagu) -> tuple[Page, Page]:
    """A guest and their host's meeting page on video, with browser audio."""
    host = t.new_host()
    guest, meeting = join_connected(t, host)
    assert host.patch(
        f"/api/v1/meetings/{meeting}/options", json={"browser_audio": True}
    ).is_success
    page = t.console(f"/meetings/{meeting}", host)
    for side in (guest, page):
        expect(side.locator("#video-stage")).to_have_attribute("data-state", "connected")
        expect(side.locator("#video-stage")).to_have_attribute("data-microphone", "on")
    return guest, page


def meeting_devices_tool(t: Tsunagu) -> Page:
    _, page = video_with_browser_audio(t)
    page.get_by_role("button", name="カメラとマイク").click()
    expect(page.locator("#device-check-status")).to_have_text("カメラとマイクが使えます。")
    return page


def meeting_guest_muted(t: Tsunagu) -> Page:
    guest, page = video_with_browser_audio(t)
    guest.get_by_role("button", name="マイクをオフにする").click()
    expect(page.get_by_text("相手のマイクはオフです")).to_be_visible()
    return page


def join_camera_stopped_by_host(t: Tsunagu) -> Page:
    guest, page = video_with_browser_audio(t)
    page.get_by_role("button", name="お客様のカメラを停止").click()
    expect(guest.locator("#camera-stopped")).to_be_visible()
    return guest


def join_ended(t: Tsunagu) -> Page:
    host = t.new_host()
    guest, meeting = join_connected(t, host)
    host.post(f"/api/v1/meetings/{meeting}/end")
    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    return guest


def join_by_link(t: Tsunagu) -> Page:
    host = t.new_host()
    meeting = host.post("/api/v1/meetings/by-link", json={}).json()["meeting"]["id"]
    link = host.post(f"/api/v1/meetings/{meeting}/links").json()["url"]
    page = t.phone(link)
    expect(page.get_by_role("button", name="参加する")).to_be_visible()
    return page


# -- the waiting room and prepared meetings (issue #14) -------------------------------


def prepared_link(host: httpx.Client, **options: bool) -> tuple[int, str]:
    made = host.post(
        "/api/v1/meetings/prepared", json={"guest_label": "山田様", "waiting_room": True, **options}
    )
    assert made.status_code == 201, made.text
    return made.json()["meeting"]["id"], made.json()["link"]["url"]


def knock_intro(t: Tsunagu) -> Page:
    """The link page of a meeting with the waiting room and recording."""
    _, link = prepared_link(t.new_host(), recording=True)
    page = t.phone(link)
    expect(page.get_by_role("button", name="入室をリクエスト")).to_be_visible()
    return page


def knock_waiting(t: Tsunagu, host: httpx.Client | None = None, link: str | None = None) -> Page:
    page = t.phone(link or prepared_link(host or t.new_host())[1])
    page.get_by_label("お名前（任意）").fill("山田花子")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="入室をリクエスト").click()
    expect(page.get_by_role("heading", name="担当者の入室許可をお待ちください")).to_be_visible()
    return page


def knock_refused(t: Tsunagu) -> Page:
    host = t.new_host()
    page = knock_waiting(t, host)
    (knock,) = host.get("/api/v1/knocks").json()["knocks"]
    path = f"/api/v1/meetings/{knock['meeting_id']}/knocks/{knock['guest_id']}/refuse"
    assert host.post(path, json={"note": "busy"}).status_code == 200
    expect(page.get_by_role("heading", name="ただいま入室いただけません")).to_be_visible()
    return page


def dashboard_knock(t: Tsunagu) -> Page:
    """The dashboard with a prepared meeting listed and a guest knocking."""
    host = t.new_host()
    _, link = prepared_link(host)
    prepared_link(host)
    page = t.console("/", host)
    expect(page.locator("#upcoming-meetings li")).to_have_count(2)
    knock_waiting(t, host, link)
    expect(page.locator(".knock-toast")).to_have_count(1)
    return page


def meeting_knock(t: Tsunagu) -> Page:
    """A meeting's page with a guest in its waiting room."""
    host = t.new_host()
    knock_waiting(t, host)
    (knock,) = host.get("/api/v1/knocks").json()["knocks"]
    page = t.console(f"/meetings/{knock['meeting_id']}", host)
    expect(page.locator("#waiting-guests li")).to_have_count(1)
    return page


def prepared_result(t: Tsunagu) -> Page:
    page = t.console("/meetings/prepare", t.new_host())
    page.get_by_label("お客様のお名前").fill("高橋様")
    page.get_by_role("button", name="準備する").click()
    expect(page.locator("#prepared-result")).to_be_visible()
    return page


def join_qr(t: Tsunagu) -> Page:
    page = t.phone("/join/qr")
    expect(page.get_by_role("img")).to_be_visible()
    return page


def link_problem(t: Tsunagu) -> Page:
    page = t.phone("/j/not-a-link")
    expect(page.get_by_role("heading", name="このリンクは使えません")).to_be_visible()
    return page


def shop_connected_page(t: Tsunagu) -> Page:
    return shop_connected(t, t.new_host())[0]


def shop_after_capture(t: Tsunagu) -> Page:
    return meeting_with_capture(t)[0]


# -- IT重説 mode (issue #14) --------------------------------------------------------


def it_meeting(t: Tsunagu) -> tuple[Page, httpx.Client, int]:
    """A phone guest in a meeting in IT重説 mode, whose host has a licence
    photo and has opened a checklist and ticked its first item."""
    host = t.new_host()
    assert host.put("/api/v1/me/licence", content=png()).status_code == 200
    checklist = t.admin.post(
        "/api/v1/checklists", json={"title": "重説前の確認", "items": ["本人確認", "書面の受領"]}
    ).json()
    guest, meeting = join_connected(t, host)
    assert host.patch(f"/api/v1/meetings/{meeting}/options", json={"it_mode": True}).is_success
    opened = host.post(
        f"/api/v1/meetings/{meeting}/checklists", json={"checklist_id": checklist["id"]}
    ).json()
    item = opened["items"][0]["id"]
    ticked = host.put(
        f"/api/v1/meetings/{meeting}/checklists/{opened['id']}/items/{item}", json={"ticked": True}
    )
    assert ticked.status_code == 200, ticked.text
    return guest, host, meeting


def meeting_checklist_open(t: Tsunagu) -> Page:
    _, host, meeting = it_meeting(t)
    page = t.console(f"/meetings/{meeting}", host)
    page.get_by_role("button", name="事前チェックリスト").click()
    expect(page.locator("#checklist-progress")).to_have_text("1/2 完了")
    return page


def join_connected_it(t: Tsunagu) -> Page:
    guest = it_meeting(t)[0]
    expect(guest.locator("#it-checklist-progress")).to_have_text("1/2 完了")
    expect(guest.locator("#it-licence-image")).to_be_visible()
    return guest


def account_licence(t: Tsunagu) -> Page:
    host = t.new_host()
    assert host.put("/api/v1/me/licence", content=png()).status_code == 200
    page = t.console("/account", host)
    expect(page.locator("#licence-image")).to_be_visible()
    return page


def record_checklist(t: Tsunagu) -> Page:
    _, host, meeting = it_meeting(t)
    assert host.post(f"/api/v1/meetings/{meeting}/end").status_code == 200
    page = t.console(f"/meetings/{meeting}", host)
    expect(page.locator("#record-checklists")).to_contain_text("1/2")
    return page


# One line per page and state. Console pages at 1280x800, guest pages at 390x844.
SCREENS = [
    pytest.param(login, id="login"),
    pytest.param(dashboard_empty, id="dashboard-empty"),
    pytest.param(dashboard_live, id="dashboard-live-meeting"),
    pytest.param(meeting_waiting_for_link, id="meeting-waiting-for-link"),
    pytest.param(meeting_live_with_capture, id="meeting-live-capture"),
    pytest.param(meeting_live_video, id="meeting-live-video"),
    pytest.param(meeting_ended, id="meeting-ended"),
    pytest.param(meeting_memo_open, id="meeting-memo-open"),
    pytest.param(console_page("/admin/memo-templates"), id="memo-templates"),
    pytest.param(history, id="history"),
    pytest.param(account, id="account"),
    pytest.param(console_page("/admin/users"), id="users"),
    pytest.param(console_page("/admin/sites"), id="sites"),
    pytest.param(site, id="site"),
    pytest.param(outbox, id="outbox"),
    pytest.param(console_error, id="error-console"),
    pytest.param(guest_error, id="error-guest"),
    pytest.param(join_entry, id="join-number-entry"),
    pytest.param(join_waiting, id="join-number-shown"),
    pytest.param(join_connected_page, id="join-connected"),
    pytest.param(join_connected_memo, id="join-connected-memo"),
    pytest.param(join_ended, id="join-ended"),
    pytest.param(join_device_check_refused, id="join-device-check-refused"),
    pytest.param(meeting_devices_tool, id="meeting-devices-tool"),
    pytest.param(meeting_guest_muted, id="meeting-guest-muted"),
    pytest.param(join_camera_stopped_by_host, id="join-camera-stopped-by-host"),
    pytest.param(join_by_link, id="join-by-link"),
    pytest.param(join_qr, id="join-qr"),
    pytest.param(knock_intro, id="join-link-knock-intro"),
    pytest.param(knock_waiting, id="join-link-knocking"),
    pytest.param(knock_refused, id="join-link-refused"),
    pytest.param(dashboard_knock, id="dashboard-knock-toast"),
    pytest.param(meeting_knock, id="meeting-waiting-room"),
    pytest.param(console_page("/meetings/prepare"), id="prepare-meeting"),
    pytest.param(prepared_result, id="prepared-meeting-link"),
    pytest.param(link_problem, id="link-problem"),
    pytest.param(shop_intro, id="shop-snippet-open"),
    pytest.param(shop_number, id="shop-number-shown"),
    pytest.param(shop_connected_page, id="shop-connected"),
    pytest.param(shop_after_capture, id="shop-capture-sent"),
    pytest.param(shop_memo_open, id="shop-memo-open"),
    pytest.param(account_licence, id="account-licence"),
    pytest.param(console_page("/admin/checklists"), id="checklists"),
    pytest.param(meeting_checklist_open, id="meeting-checklist-open"),
    pytest.param(join_connected_it, id="join-connected-it"),
    pytest.param(record_checklist, id="record-checklist"),
]


@pytest.mark.parametrize("screen", SCREENS)
def test_no_serious_or_critical_accessibility_violations(screen, tsunagu):
    assert_accessible(screen(tsunagu))


def test_the_check_sees_into_the_snippets_shadow_root(tsunagu):
    guest = shop_number(tsunagu)
    # A button with no name, put where the snippet's own buttons are: inside
    # its shadow root, which the page's own DOM does not show.
    guest.evaluate(
        """() => {
            const root = document.querySelector("[data-tsunagu]").shadowRoot;
            root.querySelector(".dock").append(document.createElement("button"));
        }"""
    )

    found = {v["id"]: v for v in axe_violations(guest)}

    assert found["button-name"]["impact"] == "critical"
    # axe names an element in a shadow root by a path: its host, then the
    # element inside.
    (target,) = found["button-name"]["targets"]
    ((shadow_host, inside),) = target
    assert inside == ".dock > button"
    assert guest.locator(shadow_host).evaluate("e => e.hasAttribute('data-tsunagu')")


def test_the_join_page_is_headed_in_every_state(tsunagu):
    host = tsunagu.new_host()
    guest = tsunagu.phone("/join")
    headings = guest.get_by_role("heading", level=1)
    expect(headings).to_have_text("担当者とつなぐ")

    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    expect(headings).to_have_text("あなたの接続番号")
    assert "page-has-heading-one" not in {v["id"] for v in axe_violations(guest)}

    claim(host, guest.locator("#number").inner_text())
    expect(headings).to_have_text("担当者とつながりました")
