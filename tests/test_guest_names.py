"""The name a guest typed when knocking (issue #14 walk-through) stays with
them once let in: in the host's guest list and in the meeting's record (its
page, escaped, and record.json in the ZIP)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.test_guests import guest_list, new_link
from tests.test_waiting_room import answer, knock, link_meeting


@pytest.fixture
def settings(settings):
    return settings.replace(waiting_room_links=True)


async def test_the_knocking_name_is_in_the_guest_list_and_the_record(app, host):
    meeting_id = await link_meeting(host)
    name = "山田<b>太郎</b>"
    knocked = await knock(app, await new_link(host, meeting_id), "192.0.2.70", name=name)
    await answer(host, meeting_id, knocked["guest_id"], "admit")

    listed = await guest_list(host, meeting_id)
    assert [(g["n"], g["name"]) for g in listed["guests"]] == [(1, name)]

    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    page = (await host.get(f"/meetings/{meeting_id}")).text
    guests = page.split('id="record-guests"')[1].split("</ul>")[0]
    assert (
        '<strong>お客様 1 · <span class="record-guest-name">山田&lt;b&gt;太郎&lt;/b&gt;</span>'
        "</strong>" in guests
    )
    archive = zipfile.ZipFile(
        io.BytesIO((await host.get(f"/meetings/{meeting_id}/record.zip")).content)
    )
    record = json.loads(archive.read("record.json"))
    assert [(g["n"], g["name"]) for g in record["guests"]] == [(1, name)]
