"""What the join link's page tells the guest (issue #14 walk-through): a
meeting on browser audio (or IT重説) has no phone call, so the page says the
voice goes through this browser's microphone; the terms are a link in the
sentence that agrees to them when the owner configured them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.web.services import services
from tests.test_meetings import guest  # noqa: F401
from tests.test_waiting_room import prepare


def link_token(made: dict) -> str:
    return made["link"]["url"].rsplit("/", 1)[1]


async def test_a_browser_audio_meeting_asks_for_the_microphone_not_to_stay_on_the_phone(app, host):
    when = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    it_meeting = await prepare(host, scheduled_at=when.isoformat(), it_mode=True)
    page = (await host.get(f"/j/{link_token(it_meeting)}")).text
    assert "電話は切らずに" not in page
    assert "声はこのブラウザーからマイクでお話しいただきます（電話は使いません）" in page
    assert "マイクの音声を担当者に送ります" in page

    phone_meeting = await prepare(host, scheduled_at=when.isoformat())
    page = (await host.get(f"/j/{link_token(phone_meeting)}")).text
    assert "電話は切らずにそのままお使いください" in page
    assert "マイクの音声を担当者に送ります" not in page


async def test_the_terms_are_a_link_in_the_sentence_that_agrees_to_them(
    app,
    guest,  # noqa: F811
):
    plain = (await guest.get("/join")).text
    assert "利用規約とプライバシーポリシーに同意します" in plain
    assert "<a" not in plain.split('id="consent"')[1].split("</label>")[0]

    services(app).settings = services(app).settings.replace(terms_url="https://shop.example/terms")
    linked = (await guest.get("/join")).text
    label = linked.split('id="consent"')[1].split("</label>")[0]
    assert (
        '<a href="https://shop.example/terms" target="_blank" rel="noopener">'
        "利用規約とプライバシーポリシー</a>に同意します（" in label
    )
