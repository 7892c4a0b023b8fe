"""The meeting room's page as the server renders it: which tools its rail
offers and which panel is open, for each kind of meeting."""

from __future__ import annotations

import re

import jinja2
import pytest

from server.console import room
from server.storage.models import Meeting
from tests.conftest import csrf_token, http_client

pytestmark = pytest.mark.anyio
MOBILE = "090-1234-5678"


def rail_buttons(html: str) -> dict[str, str]:
    """Each tool on the rail and whether its panel is open."""
    return dict(re.findall(r'id="tool-(\w+)"[^>]*aria-expanded="(true|false)"', html))


async def test_a_link_meeting_waiting_for_its_guest_opens_with_the_invitation(host):
    started = await host.post("/api/v1/meetings/by-link", json={"phone": MOBILE})
    meeting_id = started.json()["meeting"]["id"]

    page = (await host.get(f"/meetings/{meeting_id}")).text

    assert rail_buttons(page) == {
        "captures": "false",
        "live": "false",
        "memo": "false",
        "files": "false",
        "documents": "false",
        "card": "false",
        "screen": "false",
        "checklist": "false",
        "recording": "false",
        "invite": "true",
        "devices": "false",
    }
    assert 'id="panel-invite" aria-labelledby="panel-invite-title" >' in page  # not hidden
    assert 'id="panel-captures" aria-labelledby="panel-captures-title" hidden' in page
    assert "SMS は送信箱モードです" in page


async def test_a_screen_support_meeting_offers_the_invitation_closed(admin_client, app):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    body = {"name": "Shop", "origins": ["https://shop.example"]}
    site = (await admin_client.post("/api/v1/sites", json=body)).json()
    async with http_client(app) as guest:  # a guest of the site's snippet
        issued = await guest.post(
            "/api/v1/guest/numbers",
            json={"site_key": site["site_key"]},
            headers={"origin": "https://shop.example"},
        )
    started = await admin_client.post("/api/v1/meetings", json={"number": issued.json()["number"]})

    page = (await admin_client.get(f"/meetings/{started.json()['id']}")).text

    assert rail_buttons(page) == {
        "captures": "false",
        "live": "false",
        "memo": "false",
        "files": "false",
        "documents": "false",
        "card": "false",
        "screen": "false",
        "checklist": "false",
        "recording": "false",
        "invite": "false",
        "devices": "false",
    }
    assert 'id="panel-invite" aria-labelledby="panel-invite-title" hidden' in page
    assert "お客様が送信ボタンを押すと、ここにすぐ表示されます" in page  # screen support's hint


async def test_an_ended_meeting_offers_nothing_live(host, client):
    issued = (await client.post("/api/v1/guest/numbers")).json()
    meeting_id = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()[
        "id"
    ]
    await host.post(f"/api/v1/meetings/{meeting_id}/end")

    page = (await host.get(f"/meetings/{meeting_id}")).text

    # The view is the meeting's record: its export, no live control, and why it ended.
    assert f"ミーティング #{meeting_id} の記録" in page
    assert f'href="/meetings/{meeting_id}/record.zip"' in page
    for live in (
        'id="end-meeting"',
        'id="ask-capture"',
        'id="video-stage"',
        'id="sms-form"',
        'id="attach"',
        'id="chime"',
    ):
        assert live not in page
    assert re.search(r'id="ended-banner"[^>]*>ミーティングを終了しました。<', page)
    assert "キャプチャはありません。" in page


@pytest.mark.parametrize("memo_there", [False, True])
def test_a_tool_another_part_brings_shows_once_its_panel_exists(memo_there):
    templates = {"console/memo_panel.html": "memo"} if memo_there else {}
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
    meeting = Meeting(state="active", source="number")

    tools = room.rail(meeting, env, lambda key: key)["tools"]

    expected = (
        [
            "captures",
            "live",
            "memo",
            "files",
            "documents",
            "card",
            "screen",
            "checklist",
            "recording",
            "invite",
            "devices",
        ]
        if memo_there
        else [
            "captures",
            "live",
            "files",
            "documents",
            "card",
            "screen",
            "checklist",
            "recording",
            "invite",
            "devices",
        ]
    )
    assert [tool["id"] for tool in tools] == expected
