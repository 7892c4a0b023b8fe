"""Recording through the API (issue #14): consent before the start, chunks
uploaded once each, the remux into a file with a duration and a seek index."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile

import anyio
import av
import pytest
from sqlalchemy import select, update

from server.meetings import recordings
from server.storage.models import Guest, Meeting, Recording, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in, test_settings
from tests.recording_media import chunks, fragmented_mp4, live_webm

WEBM = "video/webm;codecs=vp8,opus"
MP4 = "video/mp4"


@pytest.fixture
def settings(tmp_path, database_url):
    # The local folder: its downloads come from this server (an object
    # store redirects them), which is what the Range tests look at.
    return test_settings(tmp_path / "data", database_url, blob_store="local")


async def start_meeting(app, host) -> tuple[int, str]:
    """A meeting whose guest (from the join page) is connected."""
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).values(connected=True))
    return meeting.json()["id"], issued["guest_token"]


async def agree(app, token: str, agree: bool = True) -> None:
    async with http_client(app, address="192.0.2.9") as guest:
        answer = await guest.post(
            "/api/v1/guest/recording-consent",
            json={"agree": agree},
            headers={"authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 204, answer.text


async def recording_started(app, host, mime_type: str = WEBM) -> tuple[int, str, dict, str]:
    """A meeting whose guest agreed, recording: its id, the guest's token,
    the recording and the URL its chunks and stop go under."""
    meeting_id, token = await start_meeting(app, host)
    await agree(app, token)
    recording = (
        await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": mime_type})
    ).json()
    return (
        meeting_id,
        token,
        recording,
        f"/api/v1/meetings/{meeting_id}/recordings/{recording['id']}",
    )


async def wait_ready(host, meeting_id: int, recording_id: int) -> dict:
    for _ in range(200):
        found = (await host.get(f"/api/v1/meetings/{meeting_id}/recordings")).json()
        recording = next(r for r in found["recordings"] if r["id"] == recording_id)
        if recording["state"] in ("ready", "failed"):
            return recording
        await asyncio.sleep(0.05)
    raise AssertionError(f"not ready: {recording}")


async def test_recording_starts_only_after_every_guest_in_the_call_agreed(app, host):
    meeting_id, token = await start_meeting(app, host)

    refused = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "recording_needs_consent"
    assert [d["n"] for d in refused.json()["error"]["details"]] == [1]
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert events[-1]["type"] == "recording.consent_requested"
    await agree(app, token, agree=False)
    again = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    assert again.json()["error"]["code"] == "recording_needs_consent"

    await agree(app, token)
    started = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})

    assert started.status_code == 201, started.text
    assert started.json()["state"] == "recording"
    assert started.json()["started_by"] == "tanaka"
    second = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    assert second.json()["error"]["code"] == "recording_running"
    listed = (await host.get(f"/api/v1/meetings/{meeting_id}/recordings")).json()
    assert listed["guests_in_call"] == [1] and listed["agreed"] == [1]
    types = [
        e["type"]
        for e in (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    ]
    assert types[-4:] == [
        "recording.consent_refused",
        "recording.consent_requested",  # asked again by the second try
        "recording.consent_given",
        "recording.started",
    ]


async def test_chunks_are_stored_once_and_the_file_has_a_duration_and_plays_from_any_point(
    app, host
):
    meeting_id, _token, recording, base = await recording_started(app, host)
    recorded = live_webm(6)
    for seq, piece in enumerate(chunks(recorded, 6)):
        stored = await host.put(f"{base}/chunks/{seq}", content=piece)
        assert stored.status_code == 201, stored.text
    # A retry whose answer was lost: the same seq is not stored twice.
    retried = await host.put(f"{base}/chunks/0", content=b"something else")
    assert retried.status_code == 200
    assert retried.json()["size"] == len(chunks(recorded, 6)[0])

    stopped = await host.post(f"{base}/stop")

    assert stopped.json()["stopped_by"] == "host"
    ready = await wait_ready(host, meeting_id, recording["id"])
    assert ready["state"] == "ready"
    assert abs(ready["duration"] - 6) < 0.1
    download = await host.get(ready["file_url"])
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="meeting-{meeting_id}-recording-{recording["id"]}.webm"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert len(download.content) == ready["size"]
    with av.open(io.BytesIO(download.content)) as played:
        assert abs(played.duration / 1e6 - 6) < 0.1  # the browser's file had none
        played.seek(4_000_000)  # the seek index lets a player jump
        frame = next(played.decode(video=0))
        assert frame.time >= 3
    part = await host.get(ready["media_url"], headers={"range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == download.content[100:200]
    assert part.headers["content-disposition"].startswith("inline;")
    late = await host.put(f"{base}/chunks/6", content=b"x")
    assert late.json()["error"]["code"] == "recording_stopped"


async def test_an_oversized_chunk_is_refused_and_nothing_is_kept(app, host):
    meeting_id, token = await start_meeting(app, host)
    await agree(app, token)
    services(app).settings = services(app).settings.replace(recording_chunk_bytes=4096)
    recording = (
        await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    ).json()
    base = f"/api/v1/meetings/{meeting_id}/recordings/{recording['id']}"

    async def body():
        for _ in range(10):  # no Content-Length: counted as it comes
            yield b"x" * 1024

    refused = await host.put(f"{base}/chunks/0", content=body())

    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "recording_chunk_too_large"
    assert (await host.put(f"{base}/chunks/0", content=b"x" * 100)).status_code == 201


async def test_ending_the_meeting_stops_the_recording_and_keeps_what_was_sent(app, host):
    meeting_id, _token, recording, base = await recording_started(app, host)
    for seq, piece in enumerate(chunks(live_webm(3), 3)):
        await host.put(f"{base}/chunks/{seq}", content=piece)

    await host.post(f"/api/v1/meetings/{meeting_id}/end")

    ready = await wait_ready(host, meeting_id, recording["id"])
    assert ready["stopped_by"] == "end"
    assert abs(ready["duration"] - 3) < 0.1


async def test_the_record_shows_the_recording_exports_it_and_an_admin_deletes_it(
    app, host, admin_client
):
    meeting_id, _token, recording, base = await recording_started(app, host)
    await host.put(f"{base}/chunks/0", content=live_webm(2))
    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    ready = await wait_ready(host, meeting_id, recording["id"])

    page = (await host.get(f"/meetings/{meeting_id}")).text

    assert f'src="/api/v1/recordings/{recording["id"]}/media"' in page
    assert "0:02" in page and "tanaka" in page
    assert "お客様 1" in page and "通話中の確認" in page  # who agreed, and where
    export = await host.get(f"/meetings/{meeting_id}/record.zip")
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        name = f"recording-{recording['id']}.webm"
        assert len(archive.read(name)) == ready["size"]
        data = json.loads(archive.read("record.json"))
        assert data["recordings"][0]["file"] == name
        assert data["recordings"][0]["agreed"][0]["guest_n"] == 1

    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    deleted = await admin_client.delete(f"/api/v1/meetings/{meeting_id}/data")

    assert deleted.json()["recordings"] == 1
    assert (await host.get(ready["file_url"])).status_code == 404
    assert list(services(app).blobs.list()) == []


async def test_safaris_mp4_becomes_an_mp4_with_its_duration(app, host):
    meeting_id, _token, recording, base = await recording_started(app, host, MP4)
    for seq, piece in enumerate(chunks(fragmented_mp4(4), 4)):
        assert (await host.put(f"{base}/chunks/{seq}", content=piece)).status_code == 201
    await host.post(f"{base}/stop")

    ready = await wait_ready(host, meeting_id, recording["id"])

    assert abs(ready["duration"] - 4) < 0.2
    download = await host.get(ready["file_url"])
    assert download.headers["content-type"] == "video/mp4"
    assert download.headers["content-disposition"].endswith('.mp4"')
    with av.open(io.BytesIO(download.content)) as played:
        assert abs(played.duration / 1e6 - 4) < 0.2


async def test_only_the_meetings_own_host_records_it(app, host, make_user):
    meeting_id, token = await start_meeting(app, host)
    await agree(app, token)
    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        admin.headers["x-csrf-token"] = await csrf_token(admin)
        refused = await admin.post(
            f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM}
        )
    # An admin sees the meeting, but is not the one in its call.
    assert refused.json()["error"]["code"] == "not_in_call"
    start = f"/api/v1/meetings/{meeting_id}/recordings"
    bad = await host.post(start, json={"mime_type": "audio/ogg"})
    assert bad.json()["error"]["code"] == "recording_type_unsupported"
    recording = (
        await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    ).json()
    base = f"/api/v1/meetings/{meeting_id}/recordings/{recording['id']}"
    assert (await host.put(f"{base}/chunks/x1", content=b"x")).json()["error"][
        "code"
    ] == "invalid_chunk_seq"
    assert (await host.put(f"{base}/chunks/0", content=b"")).json()["error"][
        "code"
    ] == "recording_chunk_empty"


async def test_a_guest_page_opened_again_knows_it_was_asked_and_that_it_records(app, host):
    meeting_id, token = await start_meeting(app, host)
    guest_auth = {"authorization": f"Bearer {token}"}

    async def state() -> dict:
        async with http_client(app, address="192.0.2.9") as guest:
            return (await guest.get("/api/v1/guest/recording", headers=guest_auth)).json()

    assert await state() == {"recording": False, "asked": False}
    await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    assert await state() == {"recording": False, "asked": True}
    await agree(app, token)
    assert await state() == {"recording": False, "asked": False}
    await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    assert await state() == {"recording": True, "asked": False}


async def test_a_guest_who_joins_while_it_records_is_asked(app, host):
    meeting_id, token = await start_meeting(app, host)
    await agree(app, token)
    await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    await host.post(f"/api/v1/meetings/{meeting_id}/guests", json={"number": issued["number"]})

    async with http_client(app, address="192.0.2.10") as guest:
        answer = await guest.get(
            "/api/v1/guest/recording", headers={"authorization": f"Bearer {issued['guest_token']}"}
        )

    assert answer.json() == {"recording": True, "asked": True}


async def test_the_guest_on_video_must_agree_even_while_their_socket_is_down(app, host):
    meeting_id, _token = await start_meeting(app, host)
    async with services(app).db.begin() as db:
        guest_id = (await db.execute(select(Guest.id))).scalar_one()
        await db.execute(update(Guest).values(connected=False))
        await db.execute(
            update(Meeting).where(Meeting.id == meeting_id).values(video_guest_id=guest_id)
        )

    refused = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "recording_needs_consent"
    async with services(app).db.begin() as db:
        await db.execute(update(Meeting).values(video_guest_id=None))
    started = await host.post(f"/api/v1/meetings/{meeting_id}/recordings", json={"mime_type": WEBM})
    assert started.status_code == 201, started.text


async def test_two_processes_finishing_one_recording_make_one_file(app, host):
    meeting_id, _token, recording, base = await recording_started(app, host)
    await host.put(f"{base}/chunks/0", content=live_webm(2))
    # Stopped as another process would see it: finishing, nobody on it yet.
    async with services(app).db.begin() as db:
        await db.execute(update(Recording).values(state="finishing", stopped_at=utcnow()))

    async with anyio.create_task_group() as group:
        for _ in range(2):
            # _finish, not finish: finish's in-process guard is not shared
            # between processes.
            group.start_soon(recordings._finish, app, recording["id"])

    ready = await wait_ready(host, meeting_id, recording["id"])
    assert ready["state"] == "ready"
    async with services(app).db() as db:
        key = (await db.get(Recording, recording["id"])).blob_key
    assert [blob.key for blob in services(app).blobs.list()] == [key]
