"""The business card (名刺, issue #15 part 3) in real browsers: the host fills
it in at the console (1280x800) with its live preview, shows it from the
room's rail, and the phone guest (390x844) sees it open by itself and saves
it as a contact and as an image; the snippet's guest gets it in the bar."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
import vobject
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_memo_browser import PHONE, host_memo
from tests.test_snippet_browser import Guest as SnippetGuest
from tests.test_snippet_browser import site_with_pages

pytestmark = pytest.mark.browser
FIELDS = {
    "お名前": "山田 太郎",
    "ふりがな": "やまだ たろう",
    "会社名": "つなぐ不動産株式会社",
    "部署": "営業部",
    "役職": "課長",
    "電話番号": "03-1234-5678",
    "メールアドレス": "taro.yamada@example.jp",
}


@pytest.fixture(autouse=True)
def no_card_left(live_server):
    """The server is shared by the whole session: the admin's card goes
    after each test, so other tests' guests see no 「名刺」 they did not ask for."""
    yield
    with httpx.Client(base_url=live_server.url) as admin:
        admin.post(
            "/login", data={"username": "admin", "password": live_server.first_run_password()}
        )
        csrf = re.search(r'csrf-token" content="(\w+)"', admin.get("/account").text)[1]
        admin.delete("/api/v1/me/card", headers={"x-csrf-token": csrf})
        assert admin.get("/api/v1/me/card").status_code == 404


def fill_card(host, server) -> None:
    """Fill in the card on its page, through the form, as a host does."""
    host.goto(server.url + "/account")
    # Each test starts from no card (the server's admin is shared by the tests).
    csrf = host.locator('meta[name="csrf-token"]').get_attribute("content")
    host.request.delete(server.url + "/api/v1/me/card", headers={"x-csrf-token": csrf})
    host.get_by_role("link", name="名刺を編集").click()
    expect(host.get_by_role("heading", name="名刺", exact=True)).to_be_visible()
    for label, value in FIELDS.items():
        host.get_by_label(label).fill(value)
    host.get_by_label("ウェブサイト").fill("")
    host.get_by_label("住所").fill("")
    preview = host.locator("#card-preview")
    expect(preview.locator(".tc-name")).to_have_text("山田 太郎")
    expect(preview).to_contain_text("つなぐ不動産株式会社")
    host.get_by_role("button", name="名刺を保存").click()
    expect(host.get_by_text("名刺を保存しました。")).to_be_visible()


def host_with_card(new_page, server, *, picture: bytes | None = None):
    """A host who filled in their card (and added its picture) before the call."""
    host = console_host(new_page, server)
    fill_card(host, server)
    if picture is not None:
        host.locator("#card-image-file").set_input_files(
            files=[{"name": "meishi.jpg", "mimeType": "image/jpeg", "buffer": picture}]
        )
        host.get_by_role("button", name="画像を保存").click()
        expect(host.get_by_text("名刺の画像を保存しました。")).to_be_visible()
    return host


def call_phone_guest(new_page, server, host):
    """A phone guest on the join page, let in by the host typing their number."""
    guest = new_page(**PHONE)
    guest.goto(server.url + "/join")
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    number = guest.locator("#number")
    expect(number).to_have_text(re.compile(r"^\d{4}$"))
    host.goto(server.url + "/")
    type_number(host, number.inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return guest


def card_tool(host):
    tool = host.locator("#tool-card")
    expect(host.locator("#elapsed")).not_to_have_text("—")  # the room's script runs
    if tool.get_attribute("aria-expanded") != "true":
        tool.click()
    return host.locator("#panel-card")


def downloaded(page, button) -> tuple[str, bytes]:
    with page.expect_download() as info:
        button.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_the_form_refuses_a_bad_email_beside_what_was_typed(new_page, live_server):
    host = console_host(new_page, live_server)
    host.goto(live_server.url + "/account/card")
    host.get_by_label("お名前").fill("山田 太郎")
    host.get_by_label("メールアドレス").fill("taro@example")
    host.get_by_role("button", name="名刺を保存").click()

    expect(host.get_by_role("alert")).to_contain_text("メールアドレスの形が正しくありません")
    expect(host.get_by_label("メールアドレス")).to_have_value("taro@example")
    expect(host.get_by_label("メールアドレス")).to_have_attribute("aria-invalid", "true")


def test_the_preview_stands_level_with_the_form_wherever_the_page_is_scrolled(
    new_page, live_server
):
    host = host_with_card(new_page, live_server)
    form = host.locator(".card-edit > .card").first
    preview = host.locator(".card-edit > .card-preview")
    expect(preview.locator(".tc-name")).to_have_text("山田 太郎")
    # Typing in the last field scrolls the page down to it.
    host.get_by_label("住所").click()
    host.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert host.evaluate("window.scrollY") > 100
    assert abs(form.bounding_box()["y"] - preview.bounding_box()["y"]) <= 1


def test_the_host_shows_the_card_and_the_phone_guest_saves_it(new_page, live_server):
    host = host_with_card(new_page, live_server)
    guest = call_phone_guest(new_page, live_server, host)
    panel = card_tool(host)
    expect(panel.locator(".tc-name")).to_have_text("山田 太郎")
    # The guest's page offers the card, closed.
    expect(guest.get_by_role("button", name="担当者の名刺")).to_be_visible()
    sheet = guest.get_by_role("dialog", name="担当者の名刺")
    expect(sheet).to_be_hidden()

    panel.get_by_role("button", name="お客様に名刺を表示").click()

    expect(panel.get_by_role("status")).to_have_text("お客様に名刺を表示しました。")
    expect(sheet).to_be_visible()
    for value in FIELDS.values():
        expect(sheet).to_contain_text(value)
    expect(guest.locator("#card-announce")).to_have_text("担当者が名刺を表示しました。")
    expect(host.locator("#timeline")).to_contain_text("名刺を表示しました")

    name, body = downloaded(guest, sheet.get_by_role("button", name="連絡先に保存"))
    assert name == "山田 太郎.vcf"
    contact = vobject.readOne(body.decode("utf-8"))
    assert contact.fn.value == "山田 太郎"
    assert (contact.n.value.family, contact.n.value.given) == ("山田", "太郎")
    assert contact.org.value == ["つなぐ不動産株式会社", "営業部"]
    assert contact.title.value == "課長"
    assert contact.tel.value == "03-1234-5678"
    assert contact.email.value == "taro.yamada@example.jp"

    # No picture of the paper card: the card is drawn, as a PNG.
    name, body = downloaded(guest, sheet.get_by_role("button", name="画像で保存"))
    assert name == "山田 太郎.png"
    image = Image.open(io.BytesIO(body))
    assert (image.format, image.size) == ("PNG", (1075, 650))
    assert 10_000 < len(body) < 1_000_000
    dark = sum(image.convert("L").histogram()[:100])
    assert dark > 5000  # the name and the lines are drawn, not a blank card

    guest.get_by_role("button", name="閉じる").click()
    expect(sheet).to_be_hidden()
    expect(guest.get_by_role("button", name="担当者の名刺")).to_be_focused()


def test_a_closed_card_stays_closed_on_reload_and_opens_on_the_next_push(new_page, live_server):
    host = host_with_card(new_page, live_server)
    guest = call_phone_guest(new_page, live_server, host)
    show = card_tool(host).get_by_role("button", name="お客様に名刺を表示")
    sheet = guest.get_by_role("dialog", name="担当者の名刺")
    show.click()
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name="閉じる").click()
    expect(sheet).to_be_hidden()
    # What the page hears after the reload: the meeting's events from the first.
    guest.add_init_script(
        "document.addEventListener('tsunagu:event', (e) => "
        "document.documentElement.setAttribute('data-heard', "
        "(document.documentElement.getAttribute('data-heard') || '') + ' ' + e.detail.type))"
    )

    for switch in ["reload", "English", "日本語"]:
        if switch == "reload":
            guest.reload()
        else:
            guest.get_by_role("link", name=switch, exact=True).click()
        expect(guest.locator("html")).to_have_attribute(
            "data-heard", re.compile(r"\bcard\.shown\b")
        )
        expect(guest.locator("#card-open")).to_be_visible()
        guest.wait_for_load_state("networkidle")  # the card's own requests are done
        expect(guest.locator("#card-sheet")).to_be_hidden()

    guest.evaluate("window.scrollTo(0, 0)")
    show.click()
    expect(sheet).to_be_visible()
    expect(guest.locator("#card-announce")).to_have_text("担当者が名刺を表示しました。")
    # Closing a pushed card leaves the guest where they were on the page.
    sheet.get_by_role("button", name="閉じる").click()
    expect(sheet).to_be_hidden()
    expect(guest.locator("#card-open")).to_be_focused()
    assert guest.evaluate("window.scrollY") == 0


def test_the_snippet_card_stays_closed_on_the_next_page_until_pushed_again(new_page, live_server):
    pages = site_with_pages(live_server, "Card reload pages", [])
    try:
        guest = SnippetGuest(new_page(**PHONE), live_server)
        guest.page.goto(pages.url("index.html"))
        host = host_with_card(new_page, live_server)
        host.goto(live_server.url + "/")
        type_number(host, guest.number())
        expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
        show = card_tool(host).get_by_role("button", name="お客様に名刺を表示")
        panel = guest.page.get_by_role("dialog", name="担当者の名刺")
        show.click()
        expect(panel.locator(".tc-name")).to_have_text("山田 太郎")
        panel.get_by_role("button", name="閉じる").click()
        expect(panel).to_be_hidden()

        guest.page.reload()
        expect(guest.bar()).to_contain_text("接続中")
        guest.page.wait_for_load_state("networkidle")
        expect(panel).to_be_hidden()

        show.click()
        expect(panel.locator(".tc-name")).to_have_text("山田 太郎")
        assert not guest.errors
    finally:
        pages.stop()


PHONE_WIDTHS = [320, 360, 390]


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_snippet_bar_fits_a_phone_with_every_button(new_page, live_server, width):
    pages = site_with_pages(live_server, f"Bar {width} pages", [])
    try:
        size = {"width": width, "height": 740}
        guest = SnippetGuest(new_page(**{**PHONE, "viewport": size}), live_server)
        page = guest.page
        page.goto(pages.url("index.html"))
        host = host_with_card(new_page, live_server)
        host.goto(live_server.url + "/")
        type_number(host, guest.number())
        expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
        host_memo(host)  # the host shows the memo: the guest has all three tools
        # The guest is told, since the memo's button is in the menu on a phone.
        expect(guest.text("担当者が共有メモを表示しました。")).to_be_visible()

        def on_screen(locator) -> None:
            box = locator.bounding_box()
            assert box, locator
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (locator, box)

        bar = guest.bar()
        expect(bar.get_by_role("button", name="メニュー")).to_be_visible()
        names = [
            b.get_attribute("aria-label") or b.inner_text() for b in bar.get_by_role("button").all()
        ]
        assert names == ["この画面を送信", "終了", "メニュー"]
        for button in bar.get_by_role("button").all():
            on_screen(button)
        tools = {
            "共有メモを開く": "共有メモ",
            "ファイルを開く": "ファイル",
            "担当者の名刺": "担当者の名刺",
        }
        for tool, title in tools.items():
            bar.get_by_role("button", name="メニュー").click()
            menu = page.get_by_role("dialog", name="メニュー")
            for button in menu.get_by_role("button").all():
                on_screen(button)
            menu.get_by_role("button", name=tool).click()
            panel = page.get_by_role("dialog", name=title)
            expect(panel).to_be_visible()
            expect(panel).not_to_contain_text("読み込み中…")
            on_screen(panel)
            for button in [*panel.get_by_role("button").all(), *bar.get_by_role("button").all()]:
                on_screen(button)
            panel.get_by_role("button", name="閉じる").click()
            expect(panel).to_be_hidden()
        assert not guest.errors
    finally:
        pages.stop()


def test_the_snippet_bar_keeps_its_tools_in_sight_on_a_wide_screen(new_page, live_server):
    pages = site_with_pages(live_server, "Wide bar pages", [])
    try:
        guest = SnippetGuest(new_page(viewport={"width": 1280, "height": 800}), live_server)
        guest.page.goto(pages.url("index.html"))
        host = host_with_card(new_page, live_server)
        host.goto(live_server.url + "/")
        type_number(host, guest.number())
        host_memo(host)
        bar = guest.bar()
        expect(bar.get_by_role("button", name="担当者の名刺")).to_be_visible()
        expect(bar.get_by_role("button", name="共有メモを開く")).to_be_visible()
        names = [
            b.get_attribute("aria-label") or b.inner_text() for b in bar.get_by_role("button").all()
        ]
        assert names == [
            "この画面を送信",
            "共有メモを開く",
            "ファイルを開く",
            "担当者の名刺",
            "終了",
            "メニュー",
        ]
        assert bar.bounding_box()["x"] >= 0
    finally:
        pages.stop()


def test_the_paper_cards_picture_is_shown_and_saved(new_page, live_server):
    picture = io.BytesIO()
    Image.new("RGB", (910, 550), (240, 240, 235)).save(picture, format="JPEG")
    host = host_with_card(new_page, live_server, picture=picture.getvalue())
    guest = call_phone_guest(new_page, live_server, host)

    guest.get_by_role("button", name="担当者の名刺").click()

    sheet = guest.get_by_role("dialog", name="担当者の名刺")
    expect(sheet.get_by_role("img", name="山田 太郎 の名刺の画像")).to_be_visible()
    name, body = downloaded(guest, sheet.get_by_role("button", name="画像で保存"))
    assert name == "山田 太郎.jpg"
    image = Image.open(io.BytesIO(body))
    assert (image.format, image.size) == ("JPEG", (910, 550))
    with httpx.Client(base_url=live_server.url) as client:
        # The guest's files are fetched with the token in a header, never a URL.
        assert client.get("/api/v1/guest/card.vcf").status_code == 401


def test_the_snippet_guest_opens_the_card_from_the_bar(new_page, live_server):
    pages = site_with_pages(live_server, "Card pages", [])
    try:
        guest = SnippetGuest(new_page(**PHONE), live_server)
        guest.page.goto(pages.url("index.html"))
        host = host_with_card(new_page, live_server)
        host.goto(live_server.url + "/")
        type_number(host, guest.number())
        expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
        expect(guest.bar()).to_contain_text("接続中")
        expect(guest.bar().get_by_role("button", name="メニュー")).to_be_visible()
        # The card's code is not loaded before it is wanted.
        assert not guest.page.evaluate(
            "performance.getEntriesByType('resource').some((e) => e.name.includes('card.js'))"
        )

        card_tool(host).get_by_role("button", name="お客様に名刺を表示").click()

        panel = guest.page.get_by_role("dialog", name="担当者の名刺")
        expect(panel).to_be_visible()
        expect(panel.locator(".tc-name")).to_have_text("山田 太郎")
        expect(panel).to_contain_text("03-1234-5678")
        name, body = downloaded(guest.page, panel.get_by_role("button", name="連絡先に保存"))
        assert name == "山田 太郎.vcf"
        assert vobject.readOne(body.decode("utf-8")).title.value == "課長"
        panel.get_by_role("button", name="閉じる").click()
        expect(panel).to_be_hidden()
        guest.open_tool("担当者の名刺")
        expect(panel).to_be_visible()
        assert not guest.errors
    finally:
        pages.stop()
