"""The console in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def log_in(page, server, password):
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_label("ユーザー名").fill("admin")
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_admin_logs_in_through_the_login_page_and_sees_the_console(live_server, new_page):
    page = new_page(viewport={"width": 1280, "height": 800})

    log_in(page, live_server, live_server.first_run_password())

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin さん、こんにちは")
    navigation = page.get_by_role("navigation")
    for item in ["ダッシュボード", "履歴", "資料", "アカウント"]:
        expect(navigation.get_by_role("link", name=item)).to_be_visible()
    # The admin's pages wait behind 管理, so the bar stays one line at 1280 px.
    admin_pages = ["サイト", "ユーザー", "メモのテンプレート", "チェックリスト"]
    admin_pages.append("ファイル送信のルール")
    expect(navigation.get_by_role("link", name="サイト", exact=True)).to_be_hidden()
    tops = navigation.locator(":scope > a, :scope > details > summary").evaluate_all(
        "items => items.map((item) => Math.round(item.getBoundingClientRect().top))"
    )
    assert len(tops) >= 5 and len(set(tops)) == 1, tops
    navigation.get_by_text("管理", exact=True).click()
    for item in admin_pages:
        expect(navigation.get_by_role("link", name=item, exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(navigation.get_by_role("link", name="サイト", exact=True)).to_be_hidden()
    navigation.get_by_text("管理", exact=True).click()
    page.mouse.click(640, 700)  # anywhere else on the page
    expect(navigation.get_by_role("link", name="サイト", exact=True)).to_be_hidden()
    # The demo site from the first run already ticks the first step.
    expect(page.locator('[data-step="site"]')).to_have_class(re.compile("step-done"))


def test_a_wrong_password_is_explained_on_the_login_page(live_server, new_page):
    page = new_page()
    log_in(page, live_server, "not the password")
    expect(page.get_by_role("alert")).to_have_text("ユーザー名またはパスワードが違います。")
    expect(page.get_by_label("ユーザー名")).to_have_value("admin")


def test_the_console_speaks_english_to_an_english_browser(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.url + "/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_role("link", name="日本語").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")


def test_admin_registers_a_site_and_copies_its_tag(live_server, new_page):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page, live_server, live_server.first_run_password())
    # The admin's pages are behind the top bar's 管理 menu.
    page.get_by_text("管理", exact=True).click()
    page.get_by_role("link", name="サイト", exact=True).click()

    page.get_by_label("サイト名").fill("Kobe shop")
    page.get_by_label("許可するオリジン").fill("https://kobe.example\nhttp://localhost:5173")
    page.get_by_role("button", name="登録", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("サイト「Kobe shop」を登録しました。")
    tag = page.locator("#script-tag")
    expect(tag).to_contain_text("/embed/snippet.js")
    page.get_by_role("button", name="コピー").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == tag.inner_text().strip()
    assert re.fullmatch(
        r'<script src="http://127\.0\.0\.1:\d+/embed/snippet\.js" '
        r'data-site-key="pk_[\w-]+" async></script>',
        copied,
    )


def test_logging_out_returns_to_the_login_page_and_back_goes_nowhere(live_server, new_page):
    page = new_page()
    log_in(page, live_server, live_server.first_run_password())
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("status")).to_have_text("ログアウトしました。")
    page.goto(live_server.url + "/account")
    expect(page).to_have_url(re.compile(r"/login\?next=/account$"))
