"""Layout points from the issue #14 walk-through, in real browsers: the
name a knocking guest typed stays in the host's guest list once let in; the
waiting guest's buttons are in view in the side box; the phone's camera and
microphone buttons keep their words on one line; the phone's language link
is a finger-sized target."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host
from tests.test_meeting_browser import PHONE

pytestmark = pytest.mark.browser


def knock_from_phone(new_page, url: str, name: str):
    phone = new_page(**PHONE)
    phone.goto(url)
    phone.get_by_label("お名前（任意）").fill(name)
    phone.get_by_label("利用規約とプライバシーポリシーに同意します", exact=False).check()
    phone.get_by_role("button", name="入室をリクエスト").click()
    return phone


def line_count(page, locator) -> int:
    """How many lines a toggle's words take (its icon sits above them)."""
    return locator.evaluate(
        """(button) => {
          const range = document.createRange();
          range.selectNodeContents(button.querySelector(".label"));
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        }"""
    )


def test_a_named_guest_waits_in_view_is_let_in_by_name_on_a_tidy_phone(new_page, live_server):
    host = console_host(new_page, live_server)
    csrf = host.evaluate("document.querySelector('meta[name=csrf-token]').content")
    made = host.request.post(
        live_server.url + "/api/v1/meetings/prepared",
        data={"guest_label": "山田様", "valid_days": 7, "waiting_room": True, "it_mode": True},
        headers={"x-csrf-token": csrf},
    ).json()
    host.goto(f"{live_server.url}/meetings/{made['meeting']['id']}")
    phone = knock_from_phone(new_page, made["link"]["url"], "山田<b>太郎</b>")

    waiting = host.locator("#waiting-guests li")
    expect(waiting).to_contain_text("山田<b>太郎</b>")
    # The host sees the whole entry without scrolling the box: wait time and both answers.
    for part in (
        waiting.get_by_role("button", name="入室を許可"),
        waiting.get_by_role("button", name="お断り"),
        waiting.get_by_text("待ち時間"),
    ):
        expect(part).to_be_in_viewport(ratio=1)
    waiting.get_by_role("button", name="入室を許可").click()

    expect(host.locator("#guests li").first.locator("strong").first).to_have_text(
        "お客様 1 · 山田<b>太郎</b>"
    )
    expect(phone.locator("#video-stage")).to_have_attribute("data-state", "connected")
    for name in ("カメラをオフにする", "マイクをオフにする"):
        button = phone.get_by_role("button", name=name)
        expect(button).to_be_visible()
        assert line_count(phone, button) == 1, name
    english = phone.get_by_role("link", name="English").bounding_box()
    assert english["height"] >= 44
    assert english["width"] >= 44
