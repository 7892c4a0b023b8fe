"""The shared memo in real browsers: the host at the console (1280x800) and
the guest on a phone (390x844) typing into one memo at once, a restart of
the server, host-only notes, the end of the meeting, a template, and the
memo in the snippet's bar."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.live_server import start_server
from tests.test_snippet_browser import Guest as SnippetGuest
from tests.test_snippet_browser import site_with_pages

pytestmark = pytest.mark.browser
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def connected(new_page, server):
    """A phone guest on the join page and a host, in one meeting."""
    guest = new_page(**PHONE)
    guest.goto(server.url + "/join")
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    number = guest.locator("#number")
    expect(number).to_have_text(re.compile(r"^\d{4}$"))
    host = console_host(new_page, server)
    type_number(host, number.inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    return host, guest


def host_memo(host):
    """The memo's field in the host's room, its panel opened from the rail."""
    tool = host.locator("#tool-memo")
    # The page's script runs (the rail answers clicks from then on).
    expect(host.locator("#elapsed")).not_to_have_text("—")
    if tool.get_attribute("aria-expanded") != "true":
        tool.click()
    expect(tool).to_have_attribute("aria-expanded", "true")
    return host.locator("#memo-panel textarea")


def guest_memo(guest):
    return guest.locator("#memo-text")


def ready(textarea) -> None:
    """The memo has synced: the field takes typing."""
    expect(textarea).to_be_visible()
    expect(textarea).to_be_editable()


def test_host_and_phone_guest_type_1000_keystrokes_at_once_and_nothing_is_lost(
    new_page, live_server
):
    host, guest = connected(new_page, live_server)
    mine, theirs = host_memo(host), guest_memo(guest)
    ready(mine)
    ready(theirs)
    expect(host.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")
    mine.click()
    theirs.tap()
    theirs.press("Control+Home")
    expected: Counter[str] = Counter()
    # 50 rounds of 10 keystrokes on each side, each batch typed while the
    # other side's last batch is still on its way: the edits cross.
    for round_ in range(50):
        host_chars = "abcdefghij"[round_ % 10] * 5 + "01234"
        guest_chars = "klmnopqrst"[round_ % 10] * 5 + "56789"
        host.keyboard.type(host_chars)
        guest.keyboard.type(guest_chars)
        expected.update(host_chars + guest_chars)
    # Japanese and an emoji (a surrogate pair in UTF-16) inserted at once,
    # as an IME commits them.
    host.keyboard.insert_text("議事録🙂")
    guest.keyboard.insert_text("見積もり")
    expected.update("議事録🙂見積もり")

    total = sum(expected.values())
    expect(mine).to_have_value(re.compile(rf"^[\s\S]{{{total + 1}}}$"))  # the emoji is 2 units
    expect(theirs).to_have_value(mine.input_value())
    assert Counter(mine.input_value()) == expected
    assert Counter(theirs.input_value()) == expected

    # Saved: a reload of the console shows every character.
    expect(host.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")
    text = mine.input_value()
    host.reload()
    expect(host_memo(host)).to_have_value(text)


def test_the_memo_survives_a_server_restart_and_both_sides_carry_on(new_page, tmp_path):
    server = start_server(tmp_path / "restart", TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000")
    try:
        host, guest = connected(new_page, server)
        ready(host_memo(host))
        ready(guest_memo(guest))
        host_memo(host).click()
        host.keyboard.type("再起動の前に書いたこと。")
        expect(guest_memo(guest)).to_have_value("再起動の前に書いたこと。")
        expect(host.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")

        server.stop()
        port = int(server.url.rsplit(":", 1)[1])
        server = start_server(
            tmp_path / "restart", port=port, TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000"
        )

        # Both pages reconnect by themselves (after their backoff, up to
        # 15 s) and go on in the same memo.
        expect(guest.locator("#memo-status")).to_have_text("保存済み", timeout=30_000)
        expect(host.locator("#memo-panel [data-memo=status]")).to_have_text(
            "保存済み", timeout=30_000
        )
        guest_memo(guest).tap()
        guest.keyboard.press("End")
        guest.keyboard.type("再起動の後")
        expected = "再起動の前に書いたこと。再起動の後"
        expect(host_memo(host)).to_have_value(expected)
        expect(host.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")
        expect(guest.locator("#memo-status")).to_have_text("保存済み")
        host.reload()
        expect(host_memo(host)).to_have_value(expected)
    finally:
        server.stop()


def test_host_only_notes_hide_the_memo_from_the_guest_until_shown_again(new_page, live_server):
    host, guest = connected(new_page, live_server)
    ready(host_memo(host))
    ready(guest_memo(guest))
    share = host.get_by_label("お客様にも表示")
    expect(share).to_be_checked()

    share.uncheck()

    expect(guest.locator("#memo-section")).to_be_hidden()
    expect(host.get_by_text("担当者だけのメモです。お客様には表示されません。")).to_be_visible()
    host_memo(host).click()
    host.keyboard.type("社内向け: 値引きは 5% まで")
    expect(host.locator("#memo-panel [data-memo=status]")).to_have_text("保存済み")
    # A reload of the guest's page keeps it hidden.
    guest.reload()
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(guest_memo(guest)).to_be_hidden()

    share.check()

    expect(guest_memo(guest)).to_have_value("社内向け: 値引きは 5% まで")


def test_the_memo_is_read_only_once_the_meeting_ends(new_page, live_server):
    host, guest = connected(new_page, live_server)
    ready(host_memo(host))
    ready(guest_memo(guest))
    guest_memo(guest).tap()
    guest.keyboard.type("次回は来週の火曜日")
    expect(host_memo(host)).to_have_value("次回は来週の火曜日")

    with host.expect_navigation():  # the live view becomes the meeting's record
        host.get_by_role("button", name="ミーティングを終了").click()

    # The record holds the memo's final text, to read and download, not to edit.
    expect(host.locator("#record-memo")).to_have_text("次回は来週の火曜日")
    expect(host.locator("textarea")).to_have_count(0)
    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    expect(guest_memo(guest)).to_be_hidden()


def test_an_admin_sets_a_template_and_the_host_starts_the_memo_from_it(new_page, live_server):
    admin = console_host(new_page, live_server)
    admin.get_by_text("管理", exact=True).click()
    admin.get_by_role("link", name="メモのテンプレート").click()
    expect(admin.get_by_role("heading", name="共有メモのテンプレート")).to_be_visible()
    admin.get_by_label("名前").fill("初回ヒアリング")
    admin.get_by_label("本文").fill("■ ご要望\n■ ご予算\n■ 次回の予定")
    admin.get_by_role("button", name="追加").click()
    expect(admin.get_by_text("テンプレート「初回ヒアリング」を追加しました。")).to_be_visible()
    expect(admin.locator("#memo-templates")).to_contain_text("初回ヒアリング")

    host, guest = connected(new_page, live_server)
    ready(host_memo(host))
    ready(guest_memo(guest))
    host.get_by_label("テンプレート").select_option(label="初回ヒアリング")
    host.get_by_role("button", name="挿入").click()

    expect(host_memo(host)).to_have_value("■ ご要望\n■ ご予算\n■ 次回の予定")
    expect(guest_memo(guest)).to_have_value("■ ご要望\n■ ご予算\n■ 次回の予定")
    # Only into an empty memo: the choice goes away once there is text.
    expect(host.get_by_role("button", name="挿入")).to_be_hidden()


def test_the_snippet_bar_opens_the_memo_and_both_sides_type(new_page, live_server):
    pages = site_with_pages(live_server, "Memo pages", [])
    try:
        guest = SnippetGuest(new_page(**PHONE), live_server)
        guest.page.goto(pages.url("index.html"))
        number = guest.number()
        host = console_host(new_page, live_server)
        type_number(host, number)
        expect(guest.bar()).to_contain_text("接続中")
        ready(host_memo(host))
        host_memo(host).click()
        host.keyboard.type("お見積もりの件")
        # Yjs is not loaded before the guest opens the memo.
        assert not guest.page.evaluate(
            "performance.getEntriesByType('resource').some((e) => e.name.includes('yjs'))"
        )

        guest.open_tool("共有メモを開く")

        memo = guest.page.get_by_role("textbox", name="共有メモ")
        expect(memo).to_have_value("お見積もりの件")
        memo.tap()
        guest.page.keyboard.press("End")
        guest.page.keyboard.type("、了解です")
        expect(host_memo(host)).to_have_value("お見積もりの件、了解です")
        expect(guest.text("保存済み")).to_be_visible()
        assert not guest.errors
    finally:
        pages.stop()
