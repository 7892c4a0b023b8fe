"""Files sent in a meeting through the API (issue #15): resumable uploads
capped while reading, the admin's policy, downloads that are always
attachments under a safe name, and files going with the meeting's data."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import itsdangerous
import pytest
from sqlalchemy import func, select, update
from starlette.requests import ClientDisconnect

from server.live.sockets import for_guest
from server.meetings import files, retention
from server.storage.models import (
    FileUpload,
    FileUploadPiece,
    Guest,
    Meeting,
    MeetingFile,
    User,
    utcnow,
)
from server.web.errors import ApiError
from server.web.services import services
from tests.conftest import csrf_token, http_client, test_settings


@pytest.fixture
def settings(tmp_path, database_url):
    # The local folder: downloads come from this server, whose headers
    # are what these tests look at.
    return test_settings(tmp_path / "data", database_url, blob_store="local", file_max_mb=1)


async def start_meeting(app, host) -> tuple[int, str]:
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).values(connected=True))
    return meeting.json()["id"], issued["guest_token"]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def send(client, base: str, name: str, data: bytes, *, piece: int = 300_000, headers=None):
    """Begin an upload and send ``data`` in pieces; the last answer."""
    headers = headers or {}
    begun = await client.post(
        f"{base}/uploads", json={"name": name, "size": len(data)}, headers=headers
    )
    if begun.status_code != 201:
        return begun
    upload = begun.json()
    answer = begun
    for offset in range(0, len(data), piece):
        answer = await client.post(
            f"{base}/uploads/{upload['id']}?offset={offset}",
            content=data[offset : offset + piece],
            headers={**headers, "content-type": "application/octet-stream"},
        )
        if answer.status_code >= 400:
            return answer
    return answer


async def stored(app) -> tuple[int, int, int, int]:
    """Files, uploads still on their way, blobs and pieces of uploads on
    the server (a done upload is a marker naming its file, swept later)."""
    async with services(app).db.begin() as db:
        file_count = await db.scalar(select(func.count()).select_from(MeetingFile))
        upload_count = await db.scalar(
            select(func.count()).select_from(FileUpload).where(FileUpload.state != "done")
        )
        piece_count = await db.scalar(select(func.count()).select_from(FileUploadPiece))
    blobs = list(services(app).blobs.list())
    return file_count, upload_count, len(blobs), piece_count


async def test_host_file_reaches_the_guest_who_saves_it_with_its_sha256_intact(app, host):
    meeting_id, token = await start_meeting(app, host)
    data = os.urandom(700_000)

    done = await send(host, f"/api/v1/meetings/{meeting_id}/files", "見積書 2024.pdf", data)

    assert done.status_code == 201, done.text
    sent = done.json()["file"]
    assert sent["name"] == "見積書 2024.pdf"
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    assert sent["sender"] == "host" and sent["sent_by"] == "tanaka"
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert events[-1]["type"] == "file.sent"
    assert events[-1]["payload"]["name"] == "見積書 2024.pdf"
    async with http_client(app) as guest:
        listed = (await guest.get("/api/v1/guest/files", headers=bearer(token))).json()
        assert [f["name"] for f in listed["files"]] == ["見積書 2024.pdf"]
        link = await guest.post(f"/api/v1/guest/files/{sent['id']}/link", headers=bearer(token))
        assert link.status_code == 200, link.text
        url = link.json()["url"]
        assert token not in url
        saved = await guest.get(url)  # no token: a plain navigation
    assert saved.status_code == 200
    assert hashlib.sha256(saved.content).hexdigest() == sent["sha256"]
    assert saved.headers["content-disposition"] == (
        "attachment; filename=\"___ 2024.pdf\"; filename*=UTF-8''"
        "%E8%A6%8B%E7%A9%8D%E6%9B%B8%202024.pdf"
    )


async def test_guest_file_reaches_the_host_and_resumes_after_a_dropped_piece(app, host):
    meeting_id, token = await start_meeting(app, host)
    data = os.urandom(600_000)
    async with http_client(app) as guest:
        begun = await guest.post(
            "/api/v1/guest/files/uploads",
            json={"name": "photo.jpg", "size": len(data)},
            headers=bearer(token),
        )
        upload = begun.json()
        base = f"/api/v1/guest/files/uploads/{upload['id']}"
        first = await guest.post(f"{base}?offset=0", content=data[:250_000], headers=bearer(token))
        assert first.json()["received"] == 250_000
        # The answer to the next piece was lost: the page sends it again
        # from where it thought it was, is told where the server stands...
        again = await guest.post(f"{base}?offset=0", content=data[:400_000], headers=bearer(token))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "file_offset_mismatch"
        assert again.json()["error"]["details"] == [{"received": 250_000}]
        # ...asks, and goes on from there.
        state = (await guest.get(base, headers=bearer(token))).json()
        rest = await guest.post(
            f"{base}?offset={state['received']}", content=data[250_000:], headers=bearer(token)
        )
    assert rest.status_code == 201, rest.text
    sent = rest.json()["file"]
    assert sent["sender"] == "guest"
    downloaded = await host.get(f"/api/v1/files/{sent['id']}")
    assert downloaded.content == data
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert events[-1]["type"] == "file.sent"
    assert events[-1]["payload"]["n"] == 1
    assert await stored(app) == (1, 0, 1, 0)


async def test_a_piece_cut_short_keeps_what_came_and_the_rest_follows(app, host):
    meeting_id, _token = await start_meeting(app, host)
    data = os.urandom(500_000)
    begun = await host.post(
        f"/api/v1/meetings/{meeting_id}/files/uploads", json={"name": "a.bin", "size": len(data)}
    )
    async with services(app).db.begin() as db:
        upload = await db.get(FileUpload, begun.json()["id"])

    async def dropped():
        yield data[:100_000]
        yield data[100_000:180_000]
        raise ClientDisconnect()

    received = await files.receive(app, upload, 0, dropped())

    assert received == 180_000
    async with services(app).db.begin() as db:
        assert (await db.get(FileUpload, upload.id)).received == 180_000
    rest = await host.post(
        f"/api/v1/meetings/{meeting_id}/files/uploads/{upload.id}?offset=180000",
        content=data[180_000:],
    )
    assert rest.status_code == 201
    assert rest.json()["file"]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_file_over_the_limit_is_refused_before_a_byte_is_sent(app, host):
    meeting_id, _token = await start_meeting(app, host)

    refused = await host.post(
        f"/api/v1/meetings/{meeting_id}/files/uploads",
        json={"name": "big.zip", "size": 1024 * 1024 + 1},
    )

    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "file_too_large"
    assert "1 MB" in refused.json()["error"]["message"]
    assert await stored(app) == (0, 0, 0, 0)


async def test_a_client_sending_more_than_it_declared_is_cut_off_and_nothing_is_kept(app, host):
    _meeting_id, token = await start_meeting(app, host)
    async with http_client(app) as guest:
        begun = await guest.post(
            "/api/v1/guest/files/uploads",
            json={"name": "small.txt", "size": 1000},
            headers=bearer(token),
        )
        upload_id = begun.json()["id"]

        async def endless():  # no Content-Length: only reading can tell
            for _ in range(64):
                yield b"x" * 65536

        refused = await guest.post(
            f"/api/v1/guest/files/uploads/{upload_id}?offset=0",
            content=endless(),
            headers=bearer(token),
        )
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "file_too_large"
        gone = await guest.get(f"/api/v1/guest/files/uploads/{upload_id}", headers=bearer(token))
        assert gone.status_code == 404
        # Told the size up front: refused before reading.
        begun = await guest.post(
            "/api/v1/guest/files/uploads", json={"name": "b.txt", "size": 10}, headers=bearer(token)
        )
        declared = await guest.post(
            f"/api/v1/guest/files/uploads/{begun.json()['id']}?offset=0",
            content=b"y" * 11,
            headers=bearer(token),
        )
        assert declared.status_code == 413
    assert await stored(app) == (0, 0, 0, 0)


async def test_html_named_with_a_path_downloads_as_an_attachment_under_a_safe_name(app, host):
    meeting_id, token = await start_meeting(app, host)
    page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

    done = await send(host, f"/api/v1/meetings/{meeting_id}/files", "../../x.html", page)

    sent = done.json()["file"]
    assert sent["name"] == "x.html"
    assert sent["content_type"] == "text/html"  # what it is, as sniffed...
    async with http_client(app) as guest:
        link = (
            await guest.post(f"/api/v1/guest/files/{sent['id']}/link", headers=bearer(token))
        ).json()
        saved = await guest.get(link["url"])
    for answer in (saved, await host.get(f"/api/v1/files/{sent['id']}")):
        # ...never how it is served.
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"] == 'attachment; filename="x.html"'
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"
        assert answer.content == page


def test_names_are_made_safe_to_save_and_keep_japanese():
    assert files.safe_name("../../x.html") == "x.html"
    assert files.safe_name("..\\..\\Windows\\evil.bat") == "evil.bat"
    assert files.safe_name(".htaccess") == "htaccess"
    assert files.safe_name("report\u202egpj.exe") == "reportgpj.exe"
    assert files.safe_name("請求書\x00\n.pdf") == "請求書.pdf"
    assert files.safe_name('a<b>:"c|?*.txt') == "a_b___c___.txt"
    assert files.safe_name("../..") == ""
    assert files.safe_name("あ" * 300 + ".pdf") == "あ" * 116 + ".pdf"
    # Windows and the browsers drop trailing dots and spaces when saving:
    # the name is kept as it will be saved, so its extension is the real one.
    assert files.safe_name("invoice.hta .") == "invoice.hta"
    assert files.safe_name("x.bat  .") == "x.bat"
    assert files.safe_name("x.vbs. . .") == "x.vbs"
    assert files.safe_name("x.lnk \u200b.\u3000") == "x.lnk"
    assert files.safe_name("a" * 130 + " .") == "a" * 120
    assert files.safe_name(" . .") == ""


def test_only_the_last_extension_counts_as_the_computer_goes_by_it():
    assert files.extension_of("example.com.png") == "png"
    assert files.extension_of("my.app.design.pdf") == "pdf"
    assert files.extension_of("invoice.pdf.exe") == "exe"
    assert files.extension_of("invoice.hta .") == "hta"
    assert files.extension_of("README") == ""
    rules = files.Policy()
    for name in ("example.com.png", "my.app.design.pdf", "見積書.v2.xlsx"):
        files.check_name(rules, "guest", name)
    # Programs, scripts, pages that run their script when opened from the
    # disk, shortcuts and disk images, also with dots and spaces after.
    attacks = (
        "invoice.hta .", "x.vbs .", "x.bat  .", "x.lnk .", "report.pdf.exe", "page.html",
        "page.htm", "logo.svg", "a.xhtml", "a.mht", "a.mhtml", "disk.iso", "disk.img",
        "disk.vhd", "disk.vhdx", "help.chm", "site.url", "addin.xll", "console.msc",
        "x.library-ms", "x.settingcontent-ms", "app.jnlp", "x.ps1xml", "x.psc1", "x.reg",
        "x.scf", "x.appx", "x.msix", "x.msp", "x.cpl", "x.gadget", "x.wsf", "x.wsh", "x.pif",
    )  # fmt: skip
    for name in attacks:
        with pytest.raises(ApiError) as refused:
            files.check_name(rules, "guest", files.safe_name(name))
        assert refused.value.code == "file_type_blocked", name
        files.check_name(rules, "host", files.safe_name(name))  # a host may send them


async def test_guest_programs_are_refused_by_name_and_by_content(app, host):
    meeting_id, token = await start_meeting(app, host)
    guest_base = "/api/v1/guest/files"
    async with http_client(app) as guest:
        by_name = await send(guest, guest_base, "setup.exe", b"hello", headers=bearer(token))
        double = await send(guest, guest_base, "invoice.pdf.js", b"hello", headers=bearer(token))
        program = b"MZ\x90\x00" + os.urandom(2000)
        by_content = await send(guest, guest_base, "invoice.pdf", program, headers=bearer(token))
        elf = await send(
            guest, guest_base, "photo.jpg", b"\x7fELF" + bytes(100), headers=bearer(token)
        )

    assert by_name.status_code == 415
    assert by_name.json()["error"]["code"] == "file_type_blocked"
    assert ".exe" in by_name.json()["error"]["message"]
    assert double.json()["error"]["code"] == "file_type_blocked"
    assert by_content.status_code == 415
    assert by_content.json()["error"]["code"] == "file_content_blocked"
    assert "Windows" in by_content.json()["error"]["message"]
    assert elf.json()["error"]["code"] == "file_content_blocked"
    assert await stored(app) == (0, 0, 0, 0)
    # A name ending with dots and spaces, saved without them; a page that
    # runs its script when opened from the disk.
    async with http_client(app) as guest:
        for name in ("invoice.hta .", "page.html"):
            answer = await send(guest, guest_base, name, b"hello", headers=bearer(token))
            assert answer.status_code == 415, name
            assert answer.json()["error"]["code"] == "file_type_blocked", name
        # A name with a dot in it is not a program because of a middle part.
        png = b"\x89PNG\r\n\x1a\n" + bytes(64)
        for name in ("example.com.png", "my.app.design.pdf"):
            answer = await send(guest, guest_base, name, png, headers=bearer(token))
            assert answer.status_code == 201, name
            assert answer.json()["file"]["name"] == name
    assert await stored(app) == (2, 0, 2, 0)
    # The host may send a program (a tool for the guest): only guests' are refused.
    from_host = await send(host, f"/api/v1/meetings/{meeting_id}/files", "tool.exe", program)
    assert from_host.status_code == 201


async def test_the_admins_policy_decides_who_sends_and_what(app, host, make_user):
    meeting_id, token = await start_meeting(app, host)
    async with services(app).db.begin() as db:
        admin = await make_user("boss", role="admin")
        await files.save_policy(
            db,
            senders="hosts",
            guest_executables_blocked=True,
            blocked_extensions=["zip"],
            blocked_types=["image/*"],
            by=await db.get(User, admin.id),
        )
    async with http_client(app) as guest:
        refused = await send(
            guest, "/api/v1/guest/files", "a.pdf", b"%PDF-1.4", headers=bearer(token)
        )
        listed = (await guest.get("/api/v1/guest/files", headers=bearer(token))).json()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "file_send_hosts_only"
    assert listed["can_send"] is False
    base = f"/api/v1/meetings/{meeting_id}/files"
    zipped = await send(host, base, "a.ZIP", b"PK\x03\x04")
    png = await send(host, base, "notes.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert zipped.json()["error"]["code"] == "file_type_blocked"
    assert png.json()["error"]["code"] == "file_content_blocked"
    async with services(app).db.begin() as db:
        await files.save_policy(
            db,
            senders="guests",
            guest_executables_blocked=False,
            blocked_extensions=[],
            blocked_types=[],
            by=await db.get(User, admin.id),
        )
    hosts_refused = await send(host, base, "a.pdf", b"%PDF-1.4")
    assert hosts_refused.json()["error"]["code"] == "file_send_guests_only"
    async with http_client(app) as guest:
        allowed = await send(guest, "/api/v1/guest/files", "a.exe", b"MZ", headers=bearer(token))
    assert allowed.status_code == 201


def test_the_policy_lists_read_what_an_admin_types():
    assert files.parse_list(".EXE\nzip, 7z 、gz", kind="extensions") == ["7z", "exe", "gz", "zip"]
    assert files.parse_list("text/html\nimage/*", kind="types") == ["image/*", "text/html"]
    with pytest.raises(ApiError) as refused:
        files.parse_list("html\n<script>", kind="types")
    assert refused.value.code == "file_policy_bad_types"


async def test_bad_requests_get_a_4xx_with_a_code(app, host, make_user):
    meeting_id, token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    done = await send(host, base, "a.txt", b"hello")
    file_id = done.json()["file"]["id"]
    begun = (await host.post(f"{base}/uploads", json={"name": "b.txt", "size": 10})).json()

    answers = {
        "bad offset": await host.post(f"{base}/uploads/{begun['id']}?offset=abc", content=b"x"),
        "negative": await host.post(f"{base}/uploads/{begun['id']}?offset=-1", content=b"x"),
        "no offset": await host.post(f"{base}/uploads/{begun['id']}", content=b"x"),
        "ahead": await host.post(f"{base}/uploads/{begun['id']}?offset=5", content=b"x"),
        "unknown": await host.post(f"{base}/uploads/{'0' * 32}?offset=0", content=b"x"),
        "not an id": await host.get(f"{base}/uploads/..etc"),
        "empty": await host.post(f"{base}/uploads", json={"name": "a", "size": 0}),
        "no name": await host.post(f"{base}/uploads", json={"name": "/..", "size": 3}),
        "negative size": await host.post(f"{base}/uploads", json={"name": "a", "size": -1}),
        "unknown file": await host.get("/api/v1/files/999999"),
    }
    await make_user("suzuki")
    async with http_client(app) as other:
        await other.post("/login", data={"username": "suzuki", "password": "correct horse battery"})
        answers["other host's file"] = await other.get(f"/api/v1/files/{file_id}")
        answers["other host's upload"] = await other.get(f"{base}/uploads/{begun['id']}")
    async with http_client(app) as guest:
        answers["forged token"] = await guest.get("/api/v1/guest/files", headers=bearer("x.y.z"))
        answers["forged link"] = await guest.get(f"/api/v1/files/{file_id}/download/abc.def")
        link = (
            await guest.post(f"/api/v1/guest/files/{file_id}/link", headers=bearer(token))
        ).json()
        answers["link of another file"] = await guest.get(
            link["url"].replace(f"/files/{file_id}/", "/files/999/")
        )
        answers["host's upload as guest"] = await guest.get(
            f"/api/v1/guest/files/uploads/{begun['id']}", headers=bearer(token)
        )
        # A guest of another meeting.
        other_token = (await host.post("/api/v1/guest/numbers", json={})).json()["guest_token"]
        answers["other meeting's guest"] = await guest.post(
            f"/api/v1/guest/files/{file_id}/link", headers=bearer(other_token)
        )
    expected = {
        "bad offset": (422, "file_offset_invalid"),
        "negative": (422, "file_offset_invalid"),
        "no offset": (422, "file_offset_invalid"),
        "ahead": (409, "file_offset_mismatch"),
        "unknown": (404, "file_upload_not_found"),
        "not an id": (404, "file_upload_not_found"),
        "empty": (422, "file_empty"),
        "no name": (422, "file_name_invalid"),
        "negative size": (422, "invalid_request"),
        "unknown file": (404, "file_not_found"),
        "other host's file": (404, "file_not_found"),
        "other host's upload": (404, "meeting_not_found"),
        "forged token": (401, "invalid_guest_token"),
        "forged link": (403, "file_link_invalid"),
        "link of another file": (403, "file_link_invalid"),
        "host's upload as guest": (404, "file_upload_not_found"),
        "other meeting's guest": (404, "file_not_found"),
    }
    got = {name: (a.status_code, a.json()["error"]["code"]) for name, a in answers.items()}
    assert got == expected


async def test_a_guests_file_goes_to_the_host_not_to_the_other_guests():
    host_file = {"type": "file.sent", "payload": {"sender": "host", "file_id": 1}}
    from_guest_7 = {"type": "file.sent", "payload": {"sender": "guest", "guest_id": 7}}

    assert for_guest(7)(host_file) and for_guest(8)(host_file)
    assert for_guest(7)(from_guest_7)
    assert not for_guest(8)(from_guest_7)


async def test_deleting_the_meetings_data_deletes_its_files_and_their_blobs(app, host, make_user):
    meeting_id, _token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    await send(host, base, "a.pdf", b"%PDF-1.4 a")
    half = (await host.post(f"{base}/uploads", json={"name": "half.bin", "size": 100})).json()
    await host.post(f"{base}/uploads/{half['id']}?offset=0", content=b"h" * 40)
    assert await stored(app) == (1, 1, 2, 1)
    admin = await make_user("boss", role="admin")

    deleted = await retention.delete_by_admin(app, meeting_id, admin)

    assert deleted.counts["files"] == 1
    # The half upload went too, with the blob of its piece, and the done
    # one's marker.
    assert await stored(app) == (0, 0, 0, 0)
    async with services(app).db.begin() as db:
        assert await db.scalar(select(func.count()).select_from(FileUpload)) == 0
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    sent = next(e for e in events if e["type"] == "file.sent")
    assert sent["payload"] == {"sender": "host", "by": "tanaka", "removed": True}


async def test_abandoned_uploads_and_those_of_ended_meetings_are_swept(app, host):
    meeting_id, _token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    quiet = (await host.post(f"{base}/uploads", json={"name": "q.bin", "size": 100})).json()
    fresh = (await host.post(f"{base}/uploads", json={"name": "f.bin", "size": 100})).json()
    await host.post(f"{base}/uploads/{fresh['id']}?offset=0", content=b"x" * 10)
    await host.post(f"{base}/uploads/{quiet['id']}?offset=0", content=b"q" * 10)

    swept = await files.sweep_uploads(
        app, now=utcnow() + files.ABANDONED_AFTER - timedelta(minutes=1)
    )
    assert swept == 0
    async with services(app).db.begin() as db:
        await db.execute(
            update(FileUpload)
            .where(FileUpload.id == quiet["id"])
            .values(updated_at=utcnow() - files.ABANDONED_AFTER - timedelta(minutes=1))
        )
    assert await stored(app) == (0, 2, 2, 2)
    assert await files.sweep_uploads(app) == 1
    # The quiet one went with its piece's blob; the fresh one stays.
    assert await stored(app) == (0, 1, 1, 1)
    async with services(app).db.begin() as db:
        assert list(await db.scalars(select(FileUploadPiece.upload_id))) == [fresh["id"]]
    async with services(app).db.begin() as db:
        await db.execute(update(Meeting).values(state="ended", ended_at=utcnow()))
    await files.sweep_uploads(app)
    assert await stored(app) == (0, 0, 0, 0)


async def test_an_admin_sets_the_policy_on_its_page_and_a_bad_entry_is_explained(admin_client):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    page = (await admin_client.get("/admin/files")).text
    assert 'name="guest_executables" value="on" checked' in page
    assert 'value="both" checked' in page
    csrf = await csrf_token(admin_client, "/admin/files")

    saved = await admin_client.post(
        "/admin/files",
        data={"csrf_token": csrf, "senders": "hosts", "extensions": ".ZIP\nrar", "types": ""},
    )
    refused = await admin_client.post(
        "/admin/files",
        data={"csrf_token": csrf, "senders": "both", "extensions": "", "types": "<b>"},
    )

    assert saved.status_code == 303
    page = (await admin_client.get("/admin/files")).text
    assert 'value="hosts" checked' in page
    assert 'name="guest_executables" value="on" checked' not in page
    assert "rar\nzip</textarea>" in page
    assert refused.status_code == 422
    assert "種類として読めない項目があります: &lt;b&gt;" in refused.text


async def test_the_meeting_record_lists_every_file_with_its_sender_size_and_sha256(app, host):
    meeting_id, token = await start_meeting(app, host)
    await send(host, f"/api/v1/meetings/{meeting_id}/files", "a.pdf", b"%PDF-1.4 a")
    async with http_client(app) as guest:
        await send(guest, "/api/v1/guest/files", "b.jpg", b"\xff\xd8\xff", headers=bearer(token))
        await send(guest, "/api/v1/guest/files", "c.txt", b"c" * 1300, headers=bearer(token))
    await host.post(f"/api/v1/meetings/{meeting_id}/end")

    page = (await host.get(f"/meetings/{meeting_id}")).text

    assert "担当者（tanaka）" in page and "お客様 1" in page
    assert hashlib.sha256(b"%PDF-1.4 a").hexdigest() in page
    assert hashlib.sha256(b"\xff\xd8\xff").hexdigest() in page
    assert "10 B" in page
    # Sizes as the room shows them, the exact bytes on hover.
    assert '<td class="record-size" title="1,300 B">1.3 KB</td>' in page
    assert "tanaka がファイル「a.pdf」を送りました" in page
    assert "お客様 1 からファイル「b.jpg」が届きました" in page


async def test_a_sender_whose_last_answer_was_lost_learns_the_file_was_delivered(app, host):
    meeting_id, token = await start_meeting(app, host)
    data = os.urandom(50_000)
    async with http_client(app) as guest:
        begun = await guest.post(
            "/api/v1/guest/files/uploads",
            json={"name": "receipt.pdf", "size": len(data)},
            headers=bearer(token),
        )
        at = f"/api/v1/guest/files/uploads/{begun.json()['id']}"
        before = await guest.get(at, headers=bearer(token))
        # The last piece made the file; its answer never reached the phone.
        await guest.post(f"{at}?offset=0", content=data, headers=bearer(token))

        state = await guest.get(at, headers=bearer(token))
        again = await guest.post(f"{at}?offset=0", content=data, headers=bearer(token))
        listed = (await guest.get("/api/v1/guest/files", headers=bearer(token))).json()

    assert before.json()["state"] == "receiving" and before.json()["file"] is None
    assert state.status_code == 200, state.text
    assert state.json()["state"] == "done"
    assert state.json()["received"] == len(data)
    delivered = state.json()["file"]
    assert delivered["name"] == "receipt.pdf"
    assert delivered["sha256"] == hashlib.sha256(data).hexdigest()
    # Sent again, it is the same file: not a second copy, not a second notice.
    assert again.status_code == 201
    assert again.json()["file"]["id"] == delivered["id"]
    assert [f["id"] for f in listed["files"]] == [delivered["id"]]
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert [e["type"] for e in events].count("file.sent") == 1
    assert await stored(app) == (1, 0, 1, 0)
    # The marker is swept like a quiet upload, and the file stays.
    await files.sweep_uploads(app, now=utcnow() + files.ABANDONED_AFTER + timedelta(minutes=1))
    async with services(app).db.begin() as db:
        assert await db.scalar(select(func.count()).select_from(FileUpload)) == 0
    assert (await host.get(f"/api/v1/files/{delivered['id']}")).content == data


async def test_a_guests_download_link_expires(app, host, monkeypatch):
    meeting_id, token = await start_meeting(app, host)
    done = await send(host, f"/api/v1/meetings/{meeting_id}/files", "a.pdf", b"%PDF-1.4 a")
    file_id = done.json()["file"]["id"]
    async with http_client(app) as guest:
        link = await guest.post(f"/api/v1/guest/files/{file_id}/link", headers=bearer(token))
        url = link.json()["url"]
        fresh = await guest.get(url)
        # The link's two minutes have passed.
        later = int(time.time()) + files.LINK_SECONDS + 1
        monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: later)
        old = await guest.get(url)

    assert fresh.status_code == 200
    assert old.status_code == 403
    assert old.json()["error"]["code"] == "file_link_expired"
    assert old.content != b"%PDF-1.4 a"
