"""Counts in the page scripts' words, in a real browser: the strings block
carries English plural forms and live.js format() picks one by the count,
as translate() does on the server; Japanese keeps its one form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host

pytestmark = pytest.mark.browser

FORMAT_COUNTS = """async () => {
  const { format } = await import("/static/live.js");
  const T = JSON.parse(document.getElementById("strings").textContent);
  return [
    ...[0, 1, 2].map((count) => format(T["sms.segments"], { count })),
    format(T["event.data.expired"], { days: 1, captures: 1 }),
    format(T["event.data.expired"], { days: 30, captures: 2 }),
  ];
}"""


def start_by_sms(host, phone: str, number_label: str, send: str) -> None:
    host.get_by_label(number_label).fill(phone)
    host.get_by_role("button", name=send).click()
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))


@pytest.mark.parametrize(
    ("language", "phone", "number_label", "send", "segments", "formatted"),
    [
        (
            "English",
            "090-2000-0101",
            "Guest's mobile number",
            "Send SMS and start",
            "(2 SMS segments)",
            [
                "0 SMS segments",
                "1 SMS segment",
                "2 SMS segments",
                "Data past the retention period (1 day) deleted (1 capture)",
                "Data past the retention period (30 days) deleted (2 captures)",
            ],
        ),
        (
            None,  # the console's default: Japanese keeps its one form
            "090-2000-0102",
            "お客様の携帯電話番号",
            "SMS を送って開始",
            "(SMS 2 通分)",
            [
                "SMS 0 通分",
                "SMS 1 通分",
                "SMS 2 通分",
                "保存期間（1 日）を過ぎたデータを削除しました（キャプチャ 1 件）",
                "保存期間（30 日）を過ぎたデータを削除しました（キャプチャ 2 件）",
            ],
        ),
    ],
    ids=["english", "japanese"],
)
def test_the_meeting_page_shows_counts_in_its_language(
    new_page, live_server, language, phone, number_label, send, segments, formatted
):
    host = console_host(new_page, live_server)
    if language:
        host.get_by_role("link", name=language).click()
    start_by_sms(host, phone, number_label, send)

    expect(host.locator("#sms-segments")).to_have_text(segments)
    assert host.evaluate(FORMAT_COUNTS) == formatted
