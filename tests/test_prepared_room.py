"""The host's page of a prepared meeting (issue #14 walk-through): its
invite panel shows the link already made for the customer, until when it
works, the planned time and the chosen options, before the tools that make
new half-hour links."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from server.web.services import services
from sms.links import signed_link_id
from tests.test_waiting_room import prepare


async def test_a_prepared_meetings_page_shows_its_link_time_and_options(app, host):
    when = datetime(2030, 5, 1, 1, 30, tzinfo=UTC)  # 10:30 in Japan
    made = await prepare(
        host, scheduled_at=when.isoformat(), valid_days=7, recording=True, it_mode=True
    )
    page = (await host.get(f"/meetings/{made['meeting']['id']}")).text
    summary = page.split('id="prepared-summary"')[1].split("</section>")[0]
    # The customer's link, signed anew for the page (its token carries the
    # second it was signed, so the text may differ from the one made).
    shown = re.search(r'<code id="prepared-url">http://testserver/j/([^<]+)</code>', summary)
    assert shown, summary
    secret = services(app).settings.secret_key
    made_token = made["link"]["url"].rsplit("/", 1)[1]
    assert signed_link_id(secret, shown[1]) == signed_link_id(secret, made_token)
    expires = datetime.fromisoformat(made["link"]["expires_at"])
    day = expires.astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()
    assert f'<p class="muted small" id="prepared-expires">{day} まで有効</p>' in summary
    assert "予定: 2030-05-01 10:30" in summary
    assert "録画する予定" in summary
    assert "IT重説モード" in summary
    assert "準備したリンクをコピー" in summary
    # The half-hour links are offered as extra, not as the way to invite.
    assert "コピーや QR 表示のたびに新しいリンクを作ります" not in page
    assert "別の端末用のリンクが必要なときだけ" in page


async def test_a_meeting_started_by_link_has_no_prepared_summary(app, host):
    made = await host.post("/api/v1/meetings/by-link", json={})
    page = (await host.get(f"/meetings/{made.json()['meeting']['id']}")).text
    assert 'id="prepared-summary"' not in page
    assert "コピーや QR 表示のたびに新しいリンクを作ります" in page
