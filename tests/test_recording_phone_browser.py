"""The guest's recording UI on a phone (issue #14 walk-through): the consent
question is a bottom sheet over the page and 「録画中」 a badge fixed at the
top, both on screen without scrolling, however long the join page is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_recording_browser import connect, recording_server  # noqa: F401

pytestmark = pytest.mark.browser


def on_screen(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return box.top >= 0 && box.bottom <= innerHeight && box.height > 0;
        }""",
        selector,
    )


def test_the_consent_question_and_the_recording_badge_are_on_the_phone_screen_unscrolled(
    new_page,
    recording_server,  # noqa: F811
):
    guest, host = connect(new_page, recording_server)
    host.get_by_role("button", name="録画を開始").click()

    sheet = guest.get_by_role("alertdialog", name="担当者が通話の録画を始めようとしています")
    expect(sheet).to_be_visible()
    expect(sheet).to_have_attribute("aria-modal", "true")
    expect(sheet.get_by_role("button", name="同意する")).to_be_focused()
    assert on_screen(guest, "#recording-prompt")

    sheet.get_by_role("button", name="同意する").click()
    expect(host.locator("#recording-indicator")).to_be_visible()
    badge = guest.get_by_role("status").filter(has_text="録画中")
    expect(badge).to_be_visible()
    guest.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(badge).to_be_in_viewport()
    assert on_screen(guest, "#recording-badge")
