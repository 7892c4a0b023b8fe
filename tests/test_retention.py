"""Deleting stored data: the sweeper's orphans, retention of ended meetings,
and an admin deleting one meeting's data (API and console)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from server.meetings import retention
from server.settings import Settings
from server.storage.blobs import new_key
from server.storage.models import Guest, Meeting
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in, test_settings
from tests.test_capture_ingest import encoded, picture
from tests.test_captures import send
from tests.test_guests import new_link

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path, database_url: str) -> Settings:
    """Retention on (30 days); on PostgreSQL the blobs are in S3, so every
    test here runs against both stores."""
    extra = request.getfixturevalue("s3_settings") if database_url.startswith("postgresql") else {}
    return test_settings(tmp_path / "data", database_url, retention_days=30, **extra)


@pytest.fixture
async def admin(app, make_user):
    await make_user("boss", role="admin")
    async with http_client(app, address="192.0.2.99") as client:
        await log_in(client, "boss")
        client.headers["x-csrf-token"] = await csrf_token(client)
        yield client


PRIVATE_PAGE = "https://shop.example/orders/8812?token=a1b2"


async def meeting_with_capture(app, host: httpx.AsyncClient) -> tuple[int, dict]:
    """A meeting of ``host`` whose guest sent one capture."""
    async with http_client(app, address="192.0.2.8") as guest:
        issued = (await guest.post("/api/v1/guest/numbers")).json()
        guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
        started = await host.post("/api/v1/meetings", json={"number": issued["number"]})
        sent = await send(guest, encoded(picture((390, 844)), "PNG"))
        page = {"url": PRIVATE_PAGE, "title": "ご注文内容の確認"}
        assert (await guest.post("/api/v1/guest/pages", json=page)).status_code == 204
    assert sent.status_code == 201, sent.text
    return started.json()["id"], sent.json()


def stored(app) -> set[str]:
    return {blob.key for blob in services(app).blobs.list()}


async def events(client: httpx.AsyncClient, meeting_id: int) -> list[dict]:
    return (await client.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]


# -- the sweeper ----------------------------------------------------------------


async def test_the_sweeper_removes_old_orphans_but_never_a_blob_with_a_row(app, host):
    _, capture = await meeting_with_capture(app, host)
    kept = stored(app)
    orphan = new_key("jpg")
    services(app).blobs.put(orphan, b"stored, but its row was never written")

    fresh = await retention.sweep(app)  # the default hour: the orphan is too young
    assert fresh.orphans == 0
    assert stored(app) == kept | {orphan}

    # Everything is "old" now: only the orphan goes.
    swept = await retention.sweep(app, older_than=0)
    assert (swept.orphans, swept.orphan_bytes) == (1, 37)
    assert stored(app) == kept
    image = await host.get(capture["thumbnail_url"])
    assert image.status_code == 200


# -- retention -------------------------------------------------------------------


async def ended(app, meeting_id: int, days_ago: float) -> None:
    async with services(app).db.begin() as db:
        await db.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(
                state="ended", ended_by="host", ended_at=datetime.now(UTC) - timedelta(days_ago)
            )
        )


async def test_retention_deletes_only_the_data_of_meetings_ended_long_enough_ago(app, host):
    old_id, old_capture = await meeting_with_capture(app, host)
    recent_id, recent_capture = await meeting_with_capture(app, host)
    live_id, live_capture = await meeting_with_capture(app, host)
    await ended(app, old_id, days_ago=31)
    await ended(app, recent_id, days_ago=29)
    before = stored(app)

    assert await retention.apply_retention(app) == 1

    listed = {
        meeting_id: (await host.get(f"/api/v1/meetings/{meeting_id}/captures")).json()["captures"]
        for meeting_id in (old_id, recent_id, live_id)
    }
    assert [len(listed[m]) for m in (old_id, recent_id, live_id)] == [0, 1, 1]
    assert (await host.get(old_capture["image_url"])).status_code == 404
    assert (await host.get(recent_capture["image_url"])).status_code == 200
    assert (await host.get(live_capture["image_url"])).status_code == 200
    assert len(before - stored(app)) == 2  # the old capture's image and thumbnail
    expired = [e for e in await events(host, old_id) if e["type"] == "data.expired"]
    assert [e["payload"] for e in expired] == [
        {"days": 30, "captures": 1, "memos": 0, "recordings": 0, "files": 0, "names": 0}
    ]
    # Nothing left to delete: a second round records nothing.
    assert await retention.apply_retention(app) == 0
    assert len([e for e in await events(host, old_id) if e["type"] == "data.expired"]) == 1


async def test_retention_is_off_by_default(app, host):
    meeting_id, _ = await meeting_with_capture(app, host)
    await ended(app, meeting_id, days_ago=3650)
    services(app).settings = services(app).settings.replace(retention_days=0)
    assert await retention.apply_retention(app) == 0
    captures = (await host.get(f"/api/v1/meetings/{meeting_id}/captures")).json()["captures"]
    assert len(captures) == 1


# -- an admin deletes one meeting's data ------------------------------------------


async def test_an_admin_deletes_a_meetings_data_and_the_meeting_stays(app, host, admin):
    meeting_id, capture = await meeting_with_capture(app, host)
    other_meeting_id, other_capture = await meeting_with_capture(app, host)
    before = stored(app)

    response = await admin.delete(f"/api/v1/meetings/{meeting_id}/data")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "meeting_id": meeting_id,
        "captures": 1,
        "memos": 0,
        "recordings": 0,
        "files": 0,
        "names": 0,
    }
    assert (await host.get(capture["image_url"])).status_code == 404
    assert (await host.get(capture["thumbnail_url"])).status_code == 404
    assert len(before - stored(app)) == 2
    assert (await host.get(other_capture["image_url"])).status_code == 200
    timeline = await events(host, meeting_id)
    deleted = [e for e in timeline if e["type"] == "data.deleted"]
    assert [e["payload"] for e in deleted] == [
        {"by": "boss", "captures": 1, "memos": 0, "recordings": 0, "files": 0, "names": 0}
    ]
    # What the guest showed is gone from the timeline too; that it happened stays.
    assert "shop.example" not in json.dumps(timeline, ensure_ascii=False)
    assert "ご注文" not in json.dumps(timeline, ensure_ascii=False)
    shown = [e for e in timeline if e["type"] in ("capture.created", "page.visited")]
    assert [e["payload"] for e in shown] == [{"removed": True}, {"removed": True}]
    # The other meeting keeps its timeline.
    kept = json.dumps(await events(host, other_meeting_id), ensure_ascii=False)
    assert PRIVATE_PAGE in kept
    # The meeting, its page and the history still work.
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).status_code == 200
    page = await host.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "data.deleted" in page.text
    assert (await admin.get("/meetings")).status_code == 200
    # Again: nothing to delete, and no second event.
    again = await admin.delete(f"/api/v1/meetings/{meeting_id}/data")
    assert again.json() == {
        "meeting_id": meeting_id,
        "captures": 0,
        "memos": 0,
        "recordings": 0,
        "files": 0,
        "names": 0,
    }
    assert len([e for e in await events(host, meeting_id) if e["type"] == "data.deleted"]) == 1


async def test_a_host_cannot_delete_a_meetings_data(app, host):
    meeting_id, capture = await meeting_with_capture(app, host)
    response = await host.delete(f"/api/v1/meetings/{meeting_id}/data")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_required"
    assert (await host.get(capture["image_url"])).status_code == 200
    # Nor through the console, and the button is not shown to them.
    page = await host.get(f"/meetings/{meeting_id}")
    assert "delete-data" not in page.text
    form = await host.post(
        f"/meetings/{meeting_id}/delete-data", data={"csrf_token": await csrf_token(host)}
    )
    assert form.status_code == 403
    assert (await host.get(capture["image_url"])).status_code == 200


async def test_an_unknown_meeting_is_not_found(admin):
    response = await admin.delete("/api/v1/meetings/999999/data")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "meeting_not_found"


async def test_the_console_button_deletes_after_its_form_is_posted(app, host, admin):
    meeting_id, capture = await meeting_with_capture(app, host)
    page = await admin.get(f"/meetings/{meeting_id}")
    assert f'action="/meetings/{meeting_id}/delete-data"' in page.text
    assert "データを削除" in page.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token

    refused = await admin.post(f"/meetings/{meeting_id}/delete-data", data={"csrf_token": "0"})
    assert refused.status_code == 403
    assert (await host.get(capture["image_url"])).status_code == 200

    posted = await admin.post(
        f"/meetings/{meeting_id}/delete-data", data={"csrf_token": token.group(1)}
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/meetings/{meeting_id}"
    shown = await admin.get(posted.headers["location"])
    deleted = (
        "ミーティングのデータを削除しました（キャプチャ 1 件、メモ 0 件、録画 0 件、ファイル 0 件）"
    )
    assert deleted in shown.text
    assert 'id="delete-data"' not in shown.text  # nothing left to delete
    assert (await host.get(capture["image_url"])).status_code == 404


async def test_the_deletion_is_in_the_openapi_document_for_admins(admin):
    document = (await admin.get("/api/v1/openapi.json")).json()
    operation = document["paths"]["/api/v1/meetings/{meeting_id}/data"]["delete"]
    assert "403" in operation["responses"]


async def test_retention_removes_the_names_guests_typed_while_knocking(app, host):
    made = await host.post("/api/v1/meetings/by-link", json={})
    meeting_id = made.json()["meeting"]["id"]
    await host.patch(f"/api/v1/meetings/{meeting_id}/options", json={"waiting_room": True})
    ids = []
    for address, name in (("192.0.2.50", "山田花子"), ("192.0.2.51", "佐藤一郎")):
        token = await new_link(host, meeting_id)
        async with http_client(app, address=address) as phone:
            knocked = await phone.post("/api/v1/guest/links", json={"token": token, "name": name})
        ids.append(knocked.json()["guest_id"])
    base = f"/api/v1/meetings/{meeting_id}/knocks"
    assert (await host.post(f"{base}/{ids[0]}/admit", json={})).status_code == 200
    assert (await host.post(f"{base}/{ids[1]}/refuse", json={})).status_code == 200
    await host.post(f"/api/v1/meetings/{meeting_id}/end", json={})
    await ended(app, meeting_id, days_ago=31)

    assert await retention.apply_retention(app) == 1

    async with services(app).db() as db:
        names = await db.scalars(select(Guest.entered_name).where(Guest.id.in_(ids)))
        assert list(names) == [None, None]
    record = (await host.get(f"/meetings/{meeting_id}")).text
    timeline = json.dumps(await events(host, meeting_id), ensure_ascii=False)
    for name in ("山田花子", "佐藤一郎"):
        assert name not in record
        assert name not in timeline
