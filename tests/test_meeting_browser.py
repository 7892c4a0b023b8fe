"""Phone meeting by number, in real browsers: a guest on a phone-sized page
and a host at the console, each in their own browser context."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number

pytestmark = pytest.mark.browser
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def guest(new_page, live_server):
    page = new_page(**PHONE)
    page.goto(live_server.url + "/join")
    return page


@pytest.fixture
def host(new_page, live_server):
    return console_host(new_page, live_server)


def get_number(guest) -> str:
    issue = guest.get_by_role("button", name="接続番号を発行する")
    expect(issue).to_be_disabled()  # not before agreeing to the terms
    guest.get_by_role("checkbox").check()
    issue.click()
    number = guest.locator("#number")
    expect(number).to_have_text(re.compile(r"^\d{4}$"))
    expect(guest.locator("#remaining")).to_contain_text("有効期限 残り 1:")
    return number.inner_text()


def test_guest_reads_a_number_host_types_it_both_connect_host_ends(guest, host):
    number = get_number(guest)

    type_number(host, number)

    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(host.get_by_role("heading", level=1)).to_contain_text(number)
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    expect(guest.get_by_text("担当者: Admin")).to_be_visible()
    expect(host.locator("#guests .guest-status")).to_have_text("接続中")
    expect(host.locator("#guests .guest-source")).to_have_text("番号")
    expect(host.locator("#timeline")).to_contain_text("お客様 1 が接続しました")

    with host.expect_navigation():  # the view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()

    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    expect(guest.get_by_text("担当者がミーティングを終了しました。")).to_be_visible()
    expect(host.locator("#ended-banner")).to_have_text("ミーティングを終了しました。")
    expect(host.get_by_role("button", name="ミーティングを終了")).to_be_hidden()


def test_the_guest_leaves_first_and_the_host_sees_it(guest, host):
    number = get_number(guest)
    type_number(host, number)
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    guest.on("dialog", lambda dialog: dialog.accept())

    guest.get_by_role("button", name="終了する").click()

    expect(guest.get_by_text("接続を終了しました。")).to_be_visible()
    expect(host.locator("#ended-banner")).to_have_text(
        "お客様が退出したため、ミーティングは終了しました。"
    )
    # The view became the record: the guest came and the meeting ended.
    expect(host.locator("#record-guests li")).to_have_count(1)
    expect(host.locator("#record-timeline")).to_contain_text("ミーティング終了")


def test_a_wrong_number_is_explained_beside_the_boxes_and_a_pasted_one_works(guest, host):
    type_number(host, "0000" if get_number(guest) != "0000" else "0001")
    expect(host.locator("#claim-error")).to_contain_text("見つかりません")
    expect(host.locator("input.digit").first).to_be_focused()

    number = guest.locator("#number").inner_text()
    host.evaluate(
        """(text) => {
            const data = new DataTransfer();
            data.setData("text", text);
            const paste = new ClipboardEvent(
                "paste", {clipboardData: data, bubbles: true, cancelable: true});
            document.querySelector("input.digit").dispatchEvent(paste);
        }""",
        f"{number[:2]} {number[2:]}",
    )
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))


def test_a_number_typed_before_the_dashboards_script_runs_is_not_lost(guest, new_page, live_server):
    number = get_number(guest)
    host = new_page(viewport={"width": 1280, "height": 800})
    host.goto(live_server.url + "/login")
    host.get_by_label("ユーザー名").fill("admin")
    host.get_by_label("パスワード").fill(live_server.first_run_password())
    held = []
    # The dashboard's script is held back, as on a slow connection, until
    # the host has typed the whole number into what the page shows.
    host.route(re.compile(r".*/static/dashboard\.js$"), lambda route: held.append(route))
    with host.expect_request(re.compile(r".*/static/dashboard\.js$")):
        host.get_by_role("button", name="ログイン").click()
    expect(host.get_by_role("heading", name="接続番号を入力")).to_be_visible()
    type_number(host, number)
    held[0].continue_()

    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()


def test_the_dashboard_lists_live_meetings_as_they_start_and_end(
    guest, host, new_page, live_server
):
    number = get_number(guest)
    colleague_tab = new_page(viewport={"width": 1280, "height": 800})
    colleague_tab.context.add_cookies(host.context.cookies())
    colleague_tab.goto(live_server.url + "/")
    live_list = colleague_tab.locator("#live-meetings")

    type_number(host, number)

    expect(live_list).to_contain_text(number)
    expect(live_list).to_contain_text("お客様 接続中")
    with host.expect_navigation():  # the view becomes the record
        host.get_by_role("button", name="ミーティングを終了").click()
    expect(live_list).not_to_contain_text(number)


def test_a_guest_who_reloads_is_still_waiting_with_the_same_number(guest, host):
    number = get_number(guest)
    guest.reload()
    expect(guest.locator("#number")).to_have_text(number)
    type_number(host, number)
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
