"""Files sent in a meeting, both ways (issue #15).

A file comes in as a resumable upload: the sender declares its name and
size (refused at once when over ``TSUNAGU_FILE_MAX_MB`` or blocked by the
admin's policy), then sends the bytes in pieces, each at the offset the
server has reached. The bytes are appended to a spool file on this
server's disk and hashed as they come, never held whole in memory; a piece
that would take the upload past its declared size ends it (413, nothing
kept), so a client that lies about the size is cut off. After a dropped
connection the sender asks how far the server got and goes on from there.

With the last byte the content is sniffed (the first bytes, not the name
or the sender's type), checked against the policy again, moved into the
blob store and recorded as a :class:`MeetingFile` with a ``file.sent``
event, which tells the other side at once.

The host sees every file of their meeting; a guest sees the host's files
and their own, never another guest's (who may be someone else). A file is
always downloaded as an attachment of type ``application/octet-stream``,
under a name made safe here, so no browser ever renders what was sent.

Uploads are spooled on the server that received their first piece: behind
several instances, send a meeting's upload requests to one instance
(session affinity), or the pieces meet a 409 and the sender starts over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import puremagic
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from server.meetings import lifecycle
from server.storage.blobs import new_key
from server.storage.models import (
    FilePolicy,
    FileUpload,
    Guest,
    Meeting,
    MeetingFile,
    User,
    utcnow,
)
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.files")

# The longest name kept (in characters; the extension is kept whole).
NAME_LENGTH = 120
# Bytes written to the spool at a time (and hashed with them).
WRITE_BYTES = 1024 * 1024
# What the page sends per request; a client may send less or more.
CHUNK_BYTES = 4 * 1024 * 1024
# Bytes read to tell what a file is.
SNIFF_BYTES = 8192
# An upload with no new bytes for this long is given up and swept.
ABANDONED_AFTER = timedelta(hours=6)
# A spool file no upload names (its meeting's data was deleted, a crash):
# removed once this old, so an upload just begun is never caught between
# its file and its row.
ORPHAN_AFTER = timedelta(minutes=1)
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
# A short-lived signed download link for a guest (the guest's token never
# goes in a URL): long enough for a slow phone to start the download.
LINK_SALT = "tsunagu.file-download"
LINK_SECONDS = 120
# Windows refuses these in a file name; a phone's share sheet may pass them.
UNSAFE_CHARACTERS = re.compile(r'[<>:"|?*\\/]')

SENDERS = ("both", "hosts", "guests")
# Refused from guests by default (issue #15): programs and scripts a
# computer runs when they are opened.
EXECUTABLE_EXTENSIONS = (
    "exe", "msi", "msp", "bat", "cmd", "com", "scr", "pif", "cpl", "dll", "sys", "js", "jse",
    "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "jar", "apk", "aab", "ipa", "app",
    "dmg", "pkg", "sh", "bash", "zsh", "csh", "run", "bin", "elf", "deb", "rpm", "msix",
    "appx", "reg", "lnk", "scf", "inf", "gadget", "application", "command", "action",
)  # fmt: skip
# What the content of a program looks like (its first bytes), named as the
# policy's blocked types name them.
EXECUTABLE_TYPES = {
    "application/x-msdownload": (b"MZ",),  # Windows PE (.exe, .dll, .scr)
    "application/x-executable": (b"\x7fELF",),  # Linux, Android native code
    "application/x-mach-binary": (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",  # a universal binary (also a Java class)
    ),
    "text/x-shellscript": (b"#!",),
}
DOWNLOAD_TYPE = "application/octet-stream"

# Uploads whose piece is being written in this process: a second request
# for the same upload (a retry while the first still runs) waits its turn.
_writing: set[str] = set()
# Each upload's running hash and how many bytes it has seen: a piece goes
# on from it; after a restart the spool so far is hashed again.
_hashes: dict[str, tuple[int, Any]] = {}


# -- names -----------------------------------------------------------------------


def safe_name(name: str) -> str:
    """The name a file is kept and saved under: the last part of any path
    (``../../x.html`` is ``x.html``), without control or invisible
    formatting characters (a right-to-left override could make ``exe.txt``
    look like a text file), characters Windows refuses, and leading dots (a
    hidden file); Japanese kept; at most :data:`NAME_LENGTH` characters.
    Empty if nothing is left."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    name = UNSAFE_CHARACTERS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:NAME_LENGTH]
    return name


def extension_of(name: str) -> str:
    """``report.PDF`` -> ``pdf``; every extension of ``x.tar.gz`` counts,
    see :func:`extensions_of`."""
    return name.rpartition(".")[2].lower() if "." in name else ""


def extensions_of(name: str) -> set[str]:
    """Each dot-part after the first: ``invoice.pdf.exe`` is both ``pdf``
    and ``exe``, so a second extension cannot hide a blocked one."""
    return {part.lower() for part in name.split(".")[1:] if part}


# -- the admin's policy ------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    senders: str = "both"
    guest_executables_blocked: bool = True
    blocked_extensions: tuple[str, ...] = ()
    blocked_types: tuple[str, ...] = ()

    def may_send(self, sender: str) -> bool:
        return self.senders == "both" or self.senders == f"{sender}s"

    def refused_extensions(self, sender: str) -> set[str]:
        refused = set(self.blocked_extensions)
        if sender == "guest" and self.guest_executables_blocked:
            refused |= set(EXECUTABLE_EXTENSIONS)
        return refused

    def refused_type(self, sender: str, sniffed: str) -> bool:
        if sender == "guest" and self.guest_executables_blocked and sniffed in EXECUTABLE_TYPES:
            return True
        return any(type_matches(pattern, sniffed) for pattern in self.blocked_types)


def type_matches(pattern: str, content_type: str) -> bool:
    """``image/*`` matches every image; anything else only itself."""
    if pattern.endswith("/*"):
        return content_type.startswith(pattern[:-1])
    return content_type == pattern


def parse_list(text: str, *, kind: str) -> list[str]:
    """The admin's textarea: one entry a line (or separated by commas or
    spaces), lower case, without a leading dot; sorted, no repeats."""
    entries = {e.strip().lower().lstrip(".") for e in re.split(r"[\s,、]+", text) if e.strip()}
    pattern = EXTENSION_ENTRY if kind == "extensions" else TYPE_ENTRY
    bad = sorted(e for e in entries if not pattern.fullmatch(e))
    if bad:
        named = {"entries": ", ".join(bad[:5])}
        if kind == "extensions":
            raise ApiError(422, "file_policy_bad_extensions", params=named)
        raise ApiError(422, "file_policy_bad_types", params=named)
    if len(entries) > 200:
        raise ApiError(422, "file_policy_too_long")
    return sorted(entries)


EXTENSION_ENTRY = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,15}$")
TYPE_ENTRY = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,40}/([a-z0-9][a-z0-9.+-]{0,60}|\*)$")


async def policy(db: AsyncSession) -> Policy:
    row = await db.get(FilePolicy, 1)
    if row is None:
        return Policy()
    return Policy(
        row.senders,
        row.guest_executables_blocked,
        tuple(row.blocked_extensions or ()),
        tuple(row.blocked_types or ()),
    )


async def save_policy(
    db: AsyncSession,
    *,
    senders: str,
    guest_executables_blocked: bool,
    blocked_extensions: list[str],
    blocked_types: list[str],
    by: User,
) -> None:
    if senders not in SENDERS:
        raise ApiError(422, "invalid_request")
    row = await db.get(FilePolicy, 1)
    if row is None:
        row = FilePolicy(id=1)
        db.add(row)
    row.senders = senders
    row.guest_executables_blocked = guest_executables_blocked
    row.blocked_extensions = blocked_extensions
    row.blocked_types = blocked_types
    row.updated_by = by.label[:100]
    await db.flush()


def check_name(rules: Policy, sender: str, name: str) -> None:
    """Refuse a blocked extension before any byte is sent."""
    if not rules.may_send(sender):
        raise ApiError(
            403, "file_send_hosts_only" if sender == "guest" else "file_send_guests_only"
        )
    blocked = sorted(extensions_of(name) & rules.refused_extensions(sender))
    if blocked:
        raise ApiError(415, "file_type_blocked", params={"extension": "." + blocked[-1]})


# -- content ---------------------------------------------------------------------


def sniff(head: bytes) -> str:
    """What the first bytes say the file is: a program by its signature
    (puremagic is unsure of those), else puremagic's best guess, else
    ``application/octet-stream``."""
    for kind, signatures in EXECUTABLE_TYPES.items():
        if head.startswith(signatures):
            return kind
    if not head:
        return DOWNLOAD_TYPE
    try:
        found = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        found = []
    for match in found:
        if match.mime_type:
            return match.mime_type[:100]
    return DOWNLOAD_TYPE


# -- uploads ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Who sends: the meeting's host (``user``) or one of its guests."""

    kind: str  # "host" | "guest"
    user: User | None = None
    guest: Guest | None = None

    @property
    def key(self) -> str:
        """For rate limits."""
        return f"user:{self.user.id}" if self.user else f"guest:{self.guest.id}"  # type: ignore[union-attr]

    def owns(self, upload: FileUpload) -> bool:
        if self.kind == "host":
            return upload.sender == "host" and self.user is not None
        return self.guest is not None and upload.guest_id == self.guest.id


def max_bytes(app: Starlette) -> int:
    return services(app).settings.file_max_mb * 1024 * 1024


def too_large(app: Starlette) -> ApiError:
    return ApiError(413, "file_too_large", params={"limit_mb": services(app).settings.file_max_mb})


def spool_folder(app: Starlette) -> Path:
    folder = Path(services(app).settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spool_path(app: Starlette, upload_id: str) -> Path:
    return spool_folder(app) / upload_id


def live_meeting(meeting: Meeting | None) -> Meeting:
    if meeting is None:
        raise ApiError(409, "not_connected")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    return meeting


async def begin(
    app: Starlette, db: AsyncSession, meeting: Meeting, sender: Sender, name: str, size: int
) -> FileUpload:
    """A new upload of ``size`` bytes named ``name``: refused at once when
    too large, empty, or not allowed by the policy."""
    live_meeting(meeting)
    cleaned = safe_name(name)
    if not cleaned:
        raise ApiError(422, "file_name_invalid")
    if size <= 0:
        raise ApiError(422, "file_empty")
    if size > max_bytes(app):
        raise too_large(app)
    check_name(await policy(db), sender.kind, cleaned)
    upload = FileUpload(
        id=secrets.token_hex(16),
        meeting_id=meeting.id,
        sender=sender.kind,
        sender_user_id=sender.user.id if sender.user else None,
        guest_id=sender.guest.id if sender.guest else None,
        name=cleaned,
        size=size,
        received=0,
    )
    db.add(upload)
    await db.flush()
    await anyio.to_thread.run_sync(spool_path(app, upload.id).touch)
    return upload


async def get_upload(
    db: AsyncSession, upload_id: str, sender: Sender, meeting_id: int
) -> FileUpload:
    """The sender's own upload in this meeting; 404 for anything else (an
    unknown id, another meeting's, another sender's)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        raise ApiError(404, "file_upload_not_found")
    upload = await db.get(FileUpload, upload_id, populate_existing=True)
    if upload is None or upload.meeting_id != meeting_id or not sender.owns(upload):
        raise ApiError(404, "file_upload_not_found")
    return upload


async def abort(app: Starlette, upload_id: str) -> None:
    """Forget an upload: its row, its spool file and its running hash."""
    async with services(app).db.begin() as db:
        await db.execute(delete(FileUpload).where(FileUpload.id == upload_id))
    _hashes.pop(upload_id, None)
    await anyio.to_thread.run_sync(remove_spool, spool_path(app, upload_id))


def remove_spool(path: Path) -> None:
    path.unlink(missing_ok=True)


def _hash_prefix(path: Path, length: int) -> Any:
    """A sha256 of the spool's first ``length`` bytes (after a restart,
    or when the piece came to another process)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        left = length
        while left > 0:
            piece = handle.read(min(WRITE_BYTES, left))
            if not piece:
                break
            digest.update(piece)
            left -= len(piece)
    return digest


def _open_at(path: Path, offset: int):
    """The spool, opened to write at ``offset``; whatever lies past it (a
    piece cut short and never counted) is dropped."""
    handle = path.open("r+b")
    handle.truncate(offset)
    handle.seek(offset)
    return handle


def _write(handle, digest: Any, data: bytes) -> None:
    handle.write(data)
    digest.update(data)


async def receive(app: Starlette, upload: FileUpload, offset: int, stream) -> int:
    """Append the request body ``stream`` to the upload at ``offset``,
    which must be where the upload stands. Returns the bytes now received.

    Cut off with ``413 file_too_large`` (and the upload given up, nothing
    kept) as soon as the body would take the upload past its declared
    size. A body cut short (the connection dropped) keeps what came: the
    sender resumes from there."""
    if offset != upload.received:
        raise ApiError(409, "file_offset_mismatch", params={"received": upload.received})
    if upload.id in _writing:
        raise ApiError(409, "file_upload_busy", headers={"Retry-After": "1"})
    _writing.add(upload.id)
    try:
        return await _receive(app, upload, offset, stream)
    finally:
        _writing.discard(upload.id)


async def _receive(app: Starlette, upload: FileUpload, offset: int, stream) -> int:
    from starlette.requests import ClientDisconnect

    path = spool_path(app, upload.id)
    if not path.exists():
        # Received by another instance, or swept: it cannot go on here.
        raise ApiError(409, "file_upload_lost")
    cached = _hashes.get(upload.id)
    if cached is not None and cached[0] == offset:
        digest = cached[1]
    else:
        digest = await anyio.to_thread.run_sync(_hash_prefix, path, offset)
    handle = await anyio.to_thread.run_sync(_open_at, path, offset)
    written = 0
    buffer = bytearray()
    refused = False
    try:
        try:
            async for piece in stream:
                if offset + written + len(buffer) + len(piece) > upload.size:
                    refused = True
                    break
                buffer.extend(piece)
                if len(buffer) >= WRITE_BYTES:
                    data, buffer = bytes(buffer), bytearray()
                    await anyio.to_thread.run_sync(_write, handle, digest, data)
                    written += len(data)
        except ClientDisconnect:
            pass  # what came is kept: the sender asks where to go on from
        if buffer and not refused:
            await anyio.to_thread.run_sync(_write, handle, digest, bytes(buffer))
            written += len(buffer)
    finally:
        await anyio.to_thread.run_sync(handle.close)
    if refused:
        await abort(app, upload.id)
        raise too_large(app)
    received = offset + written
    _hashes[upload.id] = (received, digest)
    async with services(app).db.begin() as db:
        await db.execute(
            update(FileUpload)
            .where(FileUpload.id == upload.id)
            .values(received=received, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    upload.received = received
    return received


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def _store(store, key: str, path: Path) -> None:
    with path.open("rb") as handle:
        store.put_file(key, handle, DOWNLOAD_TYPE)


async def finish(app: Starlette, upload: FileUpload) -> MeetingFile:
    """Every byte is in: sniff, check the policy again, move the spool into
    the blob store, record the file and tell the meeting (``file.sent``)."""
    path = spool_path(app, upload.id)
    head = await anyio.to_thread.run_sync(_read_head, path)
    sniffed = sniff(head)
    async with services(app).db.begin() as db:
        rules = await policy(db)
    if rules.refused_type(upload.sender, sniffed):
        await abort(app, upload.id)
        raise ApiError(415, "file_content_blocked", params={"kind": describe_type(sniffed)})
    cached = _hashes.get(upload.id)
    digest = (
        cached[1]
        if cached is not None and cached[0] == upload.size
        else await anyio.to_thread.run_sync(_hash_prefix, path, upload.size)
    )
    sha256 = digest.hexdigest()
    store = services(app).blobs
    key = new_key("bin")
    await anyio.to_thread.run_sync(_store, store, key, path)
    async with lifecycle.transaction(app) as db:
        # Taken once: a second finish of the same upload (a retry racing
        # the first) finds the row gone and stores nothing.
        taken = await db.execute(
            delete(FileUpload)
            .where(FileUpload.id == upload.id, FileUpload.received == upload.size)
            .execution_options(synchronize_session=False)
        )
        meeting = await db.get(Meeting, upload.meeting_id)
        ended = meeting is None or meeting.state == "ended"
        sent = None
        if taken.rowcount == 1 and not ended:
            sent = MeetingFile(
                meeting_id=upload.meeting_id,
                sender=upload.sender,
                sender_user_id=upload.sender_user_id,
                guest_id=upload.guest_id,
                name=upload.name,
                size=upload.size,
                sha256=sha256,
                content_type=sniffed,
                blob_key=key,
            )
            db.add(sent)
            await db.flush()
            await lifecycle.record_event(db, meeting, "file.sent", await event_payload(db, sent))
    _hashes.pop(upload.id, None)
    await anyio.to_thread.run_sync(remove_spool, path)
    if sent is None:
        await anyio.to_thread.run_sync(store.delete, key)
        if ended:
            raise ApiError(409, "meeting_ended")
        raise ApiError(404, "file_upload_not_found")
    return sent


def describe_type(content_type: str) -> str:
    """A type as the refusal names it to a person."""
    names = {
        "application/x-msdownload": "Windows program",
        "application/x-executable": "Linux program",
        "application/x-mach-binary": "Mac program",
        "text/x-shellscript": "script",
    }
    return names.get(content_type, content_type)


async def event_payload(db: AsyncSession, sent: MeetingFile) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "file_id": sent.id,
        "name": sent.name,
        "size": sent.size,
        "sender": sent.sender,
        "sha256": sent.sha256,
    }
    if sent.sender == "guest" and sent.guest_id is not None:
        payload["guest_id"] = sent.guest_id
        try:
            payload["n"] = (await lifecycle.facts_of(db, sent.meeting_id, sent.guest_id))["n"]
        except ApiError:
            payload["n"] = ""
    else:
        user = await db.get(User, sent.sender_user_id) if sent.sender_user_id else None
        payload["by"] = user.label if user else ""
    return payload


# -- reading ---------------------------------------------------------------------


def visible_to_guest(guest: Guest):
    """The host's files and the guest's own."""
    return or_(MeetingFile.sender == "host", MeetingFile.guest_id == guest.id)


async def of_meeting(
    db: AsyncSession, meeting_id: int, guest: Guest | None = None
) -> list[MeetingFile]:
    query = select(MeetingFile).where(MeetingFile.meeting_id == meeting_id)
    if guest is not None:
        query = query.where(visible_to_guest(guest))
    return list(await db.scalars(query.order_by(MeetingFile.id)))


async def for_host(db: AsyncSession, user: User, file_id: int) -> MeetingFile:
    """A file of a meeting the user may see; 404 otherwise."""
    sent = await db.get(MeetingFile, file_id)
    if sent is None:
        raise ApiError(404, "file_not_found")
    try:
        await lifecycle.get_meeting(db, user, sent.meeting_id)
    except ApiError:
        raise ApiError(404, "file_not_found") from None
    return sent


async def for_guest(db: AsyncSession, guest: Guest, file_id: int) -> MeetingFile:
    """A file the guest may download: in their meeting, the host's or
    their own; 404 otherwise."""
    sent = await db.get(MeetingFile, file_id)
    if (
        sent is None
        or guest.meeting_id is None
        or sent.meeting_id != guest.meeting_id
        or not (sent.sender == "host" or sent.guest_id == guest.id)
    ):
        raise ApiError(404, "file_not_found")
    return sent


def _link_signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def download_link(secret_key: str, sent: MeetingFile, guest: Guest) -> str:
    """A URL a guest's browser saves the file from, for
    :data:`LINK_SECONDS`: it names the file and the guest, not the token."""
    signed = _link_signer(secret_key).dumps({"f": sent.id, "g": guest.id})
    return f"/api/v1/files/{sent.id}/download/{signed}"


def link_guest(secret_key: str, file_id: int, signed: str) -> int:
    """The guest a download link was made for; 403 when it is not one of
    ours, was made for another file, or is too old."""
    try:
        data = _link_signer(secret_key).loads(signed, max_age=LINK_SECONDS)
    except SignatureExpired:
        raise ApiError(403, "file_link_expired") from None
    except BadSignature:
        raise ApiError(403, "file_link_invalid") from None
    if not isinstance(data, dict) or data.get("f") != file_id or not isinstance(data.get("g"), int):
        raise ApiError(403, "file_link_invalid")
    return data["g"]


def file_json(sent: MeetingFile, *, guest_view: bool = False) -> dict[str, Any]:
    return {
        "id": sent.id,
        "meeting_id": sent.meeting_id,
        "name": sent.name,
        "size": sent.size,
        "sha256": sent.sha256,
        "content_type": sent.content_type,
        "sender": sent.sender,
        "guest_id": sent.guest_id,
        "sent_by": (sent.sender_user.label if sent.sender_user else None)
        if sent.sender == "host"
        else None,
        "created_at": sent.created_at,
        "download_url": None if guest_view else f"/api/v1/files/{sent.id}",
    }


async def for_record(db: AsyncSession, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting record's files: each with its sender as the record names
    them (the host's name, or お客様 N)."""
    numbers = {g.id: n for n, g in enumerate(await lifecycle.meeting_guests(db, meeting_id), 1)}
    entries = []
    for sent in await of_meeting(db, meeting_id):
        entry = file_json(sent)
        entry["n"] = numbers.get(sent.guest_id or 0)
        entries.append(entry)
    return entries


# -- sweeping ----------------------------------------------------------------------


async def sweep_uploads(app: Starlette, now: datetime | None = None) -> int:
    """Give up uploads that got no bytes for :data:`ABANDONED_AFTER` or
    whose meeting has ended, and remove spool files no upload names (an
    upload given up on another instance, a crash). Returns how many went."""
    now = now or utcnow()
    async with services(app).db.begin() as db:
        ended = select(Meeting.id).where(Meeting.state == "ended")
        stale = list(
            await db.scalars(
                select(FileUpload.id).where(
                    or_(
                        FileUpload.updated_at < now - ABANDONED_AFTER,
                        FileUpload.meeting_id.in_(ended),
                    )
                )
            )
        )
        # Not while a piece is being written here: that request ends it.
        stale = [upload_id for upload_id in stale if upload_id not in _writing]
        if stale:
            await db.execute(delete(FileUpload).where(FileUpload.id.in_(stale)))
        known = set(await db.scalars(select(FileUpload.id)))
    folder = spool_folder(app)
    cutoff = (now - ORPHAN_AFTER).timestamp()

    def tidy() -> int:
        removed = 0
        for entry in os.scandir(folder):
            if entry.name in known or entry.name in _writing:
                continue
            # A spool younger than its row may be an upload just begun.
            if entry.name in stale or entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        return removed

    for upload_id in stale:
        _hashes.pop(upload_id, None)
    removed = await anyio.to_thread.run_sync(tidy)
    if stale or removed:
        log.info("files: gave up %d uploads, removed %d spool files", len(stale), removed)
    return max(len(stale), removed)
