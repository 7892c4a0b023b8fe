"""Files sent in a meeting, both ways (issue #15).

A file comes in as a resumable upload: the sender declares its name and
size (refused at once when over ``TSUNAGU_FILE_MAX_MB`` or blocked by the
admin's policy), then sends the bytes in pieces, each at the offset the
server has reached. Each piece (at most :data:`PIECE_BYTES`, read as a
stream into a temporary file) goes to the blob store as a blob of its own,
with a :class:`FileUploadPiece` row, so the next piece may reach any
instance behind a load balancer; a piece that would take the upload past
its declared size ends it (413, nothing kept), so a client that lies about
the size is cut off. After a dropped connection the sender asks how far
the server got and goes on from there.

With the last byte the pieces are read back in order, a piece at a time,
into a temporary file, hashed and their first bytes sniffed (not the name
or the sender's type); the policy is checked again, the file is stored as
one blob and recorded as a :class:`MeetingFile` with a ``file.sent``
event, which tells the other side at once, and the pieces are deleted.

The host sees every file of their meeting; a guest sees the host's files
and their own, never another guest's (who may be someone else). A file is
always downloaded as an attachment of type ``application/octet-stream``,
under a name made safe here, so no browser ever renders what was sent.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    FileUploadPiece,
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
# A piece being read is kept in memory up to this, then in a temporary file.
WRITE_BYTES = 1024 * 1024
# What the page sends per request; a client may send less or more.
CHUNK_BYTES = 4 * 1024 * 1024
# The most of an upload kept as one blob: a longer body is kept as several.
PIECE_BYTES = CHUNK_BYTES
# Bytes read to tell what a file is.
SNIFF_BYTES = 8192
# An upload with no new bytes for this long is given up and swept.
ABANDONED_AFTER = timedelta(hours=6)
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
# A short-lived signed download link for a guest (the guest's token never
# goes in a URL): long enough for a slow phone to start the download.
LINK_SALT = "tsunagu.file-download"
LINK_SECONDS = 120
# Windows refuses these in a file name; a phone's share sheet may pass them.
UNSAFE_CHARACTERS = re.compile(r'[<>:"|?*\\/]')

SENDERS = ("both", "hosts", "guests")
# Refused from guests by default (issue #15): what a computer runs when it
# is opened. Programs and scripts; shortcuts and settings files that run
# one (.lnk, .url, .library-ms, .settingcontent-ms); disk images that
# mount with programs inside (.iso, .vhd); help files and Office add-ins
# that run code (.chm, .xll); and web pages, which a browser opens from the
# disk as a file:// page that runs its script (.html, .svg, .mht).
EXECUTABLE_EXTENSIONS = (
    "exe", "msi", "msp", "bat", "cmd", "com", "scr", "pif", "cpl", "dll", "sys", "js", "jse",
    "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "ps1xml", "psc1", "jar", "jnlp", "apk",
    "aab", "ipa", "app", "dmg", "pkg", "sh", "bash", "zsh", "csh", "run", "bin", "elf", "deb",
    "rpm", "msix", "appx", "appref-ms", "reg", "lnk", "url", "scf", "inf", "gadget", "msc",
    "xll", "chm", "library-ms", "settingcontent-ms", "application", "command", "action",
    "iso", "img", "vhd", "vhdx", "html", "htm", "shtml", "xhtml", "xht", "mht", "mhtml",
    "svg", "svgz",
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


# -- names -----------------------------------------------------------------------


def safe_name(name: str) -> str:
    """The name a file is kept and saved under: the last part of any path
    (``../../x.html`` is ``x.html``), without control or invisible
    formatting characters (a right-to-left override could make ``exe.txt``
    look like a text file), characters Windows refuses, leading dots (a
    hidden file) and trailing dots and spaces (Windows and the browsers
    drop those when saving, so ``invoice.hta .`` would be saved as
    ``invoice.hta``); Japanese kept; at most :data:`NAME_LENGTH`
    characters. Empty if nothing is left."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    name = trimmed(UNSAFE_CHARACTERS.sub("_", name))
    if len(name) > NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:NAME_LENGTH]
        name = trimmed(name)
    return name


def trimmed(name: str) -> str:
    """Without spaces and dots at either end, until none is left: a name
    must not end with either, nor start with a dot."""
    while True:
        shorter = name.strip(" ").lstrip(".").rstrip(". ")
        if shorter == name:
            return name
        name = shorter


def extension_of(name: str) -> str:
    """The extension the computer goes by, the last one: ``report.PDF`` ->
    ``pdf``, ``example.com.png`` -> ``png``, ``invoice.pdf.exe`` -> ``exe``,
    ``x.hta .`` -> ``hta`` (trailing dots and spaces are dropped when a
    file is saved); empty for a name with none."""
    stem, dot, extension = trimmed(name).rpartition(".")
    return extension.strip(" ").lower() if dot and stem else ""


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
    # Only the last extension: it alone decides what opens the file (the
    # content is checked too, once it is in).
    extension = extension_of(name)
    if extension and extension in rules.refused_extensions(sender):
        raise ApiError(415, "file_type_blocked", params={"extension": "." + extension})


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
    """Forget an upload: its row, its pieces' rows, then their blobs."""
    async with services(app).db.begin() as db:
        keys = await forget_uploads(db, [upload_id])
    await remove_blobs(app, keys)


async def forget_uploads(db: AsyncSession, upload_ids) -> list[str]:
    """Delete the uploads ``upload_ids`` (a list or a select of ids) and
    their pieces' rows; the pieces' blob keys, to delete once committed."""
    keys = (
        await db.scalars(
            delete(FileUploadPiece)
            .where(FileUploadPiece.upload_id.in_(upload_ids))
            .returning(FileUploadPiece.blob_key)
        )
    ).all()
    await db.execute(
        delete(FileUpload)
        .where(FileUpload.id.in_(upload_ids))
        .execution_options(synchronize_session=False)
    )
    return list(keys)


async def remove_blobs(app: Starlette, keys: list[str]) -> None:
    """Delete blobs whose rows are gone. A failure is only logged: the
    sweeper removes blobs no row names."""
    if not keys:
        return
    try:
        await anyio.to_thread.run_sync(services(app).blobs.delete_many, keys)
    except Exception:
        log.exception("files: could not delete %d blobs (the sweeper will)", len(keys))


def _write(handle, data: bytes) -> None:
    handle.write(data)


def _store_piece(store, key: str, handle) -> None:
    handle.seek(0)
    store.put_file(key, handle, DOWNLOAD_TYPE)


async def receive(app: Starlette, upload: FileUpload, offset: int, stream) -> int:
    """Append the request body ``stream`` to the upload at ``offset``,
    which must be where the upload stands. Returns the bytes now received.

    The body is kept a piece (:data:`PIECE_BYTES`) at a time, each piece a
    blob of its own, so the next piece may go to any instance. Cut off with
    ``413 file_too_large`` (and the upload given up, nothing kept) as soon
    as the body would take the upload past its declared size. A body cut
    short (the connection dropped) keeps what came: the sender resumes
    from there."""
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

    # The piece being read: in memory up to WRITE_BYTES, then on disk.
    spool = tempfile.SpooledTemporaryFile(max_size=WRITE_BYTES)  # noqa: SIM115 (closed below)
    spooled = 0
    buffer = bytearray()
    refused = False

    async def keep() -> None:
        nonlocal spool, spooled, buffer
        if buffer:
            await anyio.to_thread.run_sync(_write, spool, bytes(buffer))
            spooled += len(buffer)
            buffer = bytearray()
        if spooled:
            await keep_piece(app, upload, spool, spooled)
            await anyio.to_thread.run_sync(spool.close)
            spool = tempfile.SpooledTemporaryFile(max_size=WRITE_BYTES)  # noqa: SIM115
            spooled = 0

    try:
        try:
            async for data in stream:
                if upload.received + spooled + len(buffer) + len(data) > upload.size:
                    refused = True
                    break
                buffer.extend(data)
                while spooled + len(buffer) >= PIECE_BYTES:
                    take = PIECE_BYTES - spooled
                    rest = buffer[take:]
                    del buffer[take:]
                    await keep()
                    buffer = rest
                if len(buffer) >= WRITE_BYTES:
                    await anyio.to_thread.run_sync(_write, spool, bytes(buffer))
                    spooled += len(buffer)
                    buffer = bytearray()
        except ClientDisconnect:
            pass  # what came is kept: the sender asks where to go on from
        if not refused:
            await keep()
    finally:
        await anyio.to_thread.run_sync(spool.close)
    if refused:
        await abort(app, upload.id)
        raise too_large(app)
    return upload.received


async def keep_piece(app: Starlette, upload: FileUpload, spool, size: int) -> None:
    """Store one piece as a blob, then record it and move the upload on, in
    one transaction whose update only happens if the upload still stands
    where the piece begins: of two requests racing with the same piece
    (on one instance or two) one lands, the other is told where to go on."""
    start = upload.received
    store = services(app).blobs
    key = new_key("part")
    await anyio.to_thread.run_sync(_store_piece, store, key, spool)
    async with lifecycle.transaction(app) as db:
        moved = await db.execute(
            update(FileUpload)
            .where(FileUpload.id == upload.id, FileUpload.received == start)
            .values(received=start + size, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            db.add(FileUploadPiece(upload_id=upload.id, start=start, size=size, blob_key=key))
            now = None
        else:
            now = await db.scalar(select(FileUpload.received).where(FileUpload.id == upload.id))
    if moved.rowcount != 1:
        await remove_blobs(app, [key])
        if now is None:  # given up meanwhile (cancelled, swept, data deleted)
            raise ApiError(404, "file_upload_not_found")
        upload.received = now
        raise ApiError(409, "file_offset_mismatch", params={"received": now})
    upload.received = start + size


def _append(handle, digest: Any, data: bytes) -> None:
    handle.write(data)
    digest.update(data)


def _store(store, key: str, handle) -> None:
    handle.seek(0)
    store.put_file(key, handle, DOWNLOAD_TYPE)


async def lost(app: Starlette, upload: FileUpload) -> ApiError:
    """What to answer when a piece cannot be read: taken by a finish that
    raced this one (404, as for any upload that is gone), or truly lost
    (a blob missing from the store): the upload is given up and the sender
    starts again (409 file_upload_lost)."""
    async with services(app).db.begin() as db:
        still = await db.get(FileUpload, upload.id)
    if still is None or still.state == "done":
        return ApiError(404, "file_upload_not_found")
    log.warning("files: a piece of upload %s is missing from the blob store", upload.id)
    await abort(app, upload.id)
    return ApiError(409, "file_upload_lost")


async def delivered(app: Starlette, upload_id: str) -> MeetingFile | None:
    """The file an upload made, if it is done."""
    async with services(app).db.begin() as db:
        upload = await db.get(FileUpload, upload_id)
        if upload is None or upload.state != "done" or upload.file_id is None:
            return None
        return await db.get(MeetingFile, upload.file_id)


async def finish(app: Starlette, upload: FileUpload) -> MeetingFile:
    """Every byte is in: join the pieces in order into a temporary file (a
    piece at a time, hashed and the first bytes sniffed as they pass),
    check the policy again, store the file, record it and tell the meeting
    (``file.sent``), then delete the pieces. The upload stays, done, naming
    the file: a second finish (a retry racing the first, or after an answer
    lost on the way back) answers with the same file."""
    try:
        return await _finish(app, upload)
    except ApiError as error:
        if error.code != "file_upload_not_found":
            raise
        sent = await delivered(app, upload.id)
        if sent is None:
            raise
        return sent


async def _finish(app: Starlette, upload: FileUpload) -> MeetingFile:
    async with services(app).db.begin() as db:
        pieces = (
            await db.execute(
                select(FileUploadPiece.start, FileUploadPiece.size, FileUploadPiece.blob_key)
                .where(FileUploadPiece.upload_id == upload.id)
                .order_by(FileUploadPiece.start)
            )
        ).all()
        rules = await policy(db)
    at = 0
    for piece in pieces:
        if piece.start != at:
            raise await lost(app, upload)
        at += piece.size
    if at != upload.size:
        raise await lost(app, upload)
    store = services(app).blobs
    key = new_key("bin")
    digest = hashlib.sha256()
    head = b""
    joined = await anyio.to_thread.run_sync(tempfile.TemporaryFile)
    try:
        for piece in pieces:
            data = await anyio.to_thread.run_sync(store.get, piece.blob_key)
            if data is None or len(data) != piece.size:
                raise await lost(app, upload)
            if len(head) < SNIFF_BYTES:
                head += data[: SNIFF_BYTES - len(head)]
            await anyio.to_thread.run_sync(_append, joined, digest, data)
            del data
        sniffed = sniff(head)
        if rules.refused_type(upload.sender, sniffed):
            await abort(app, upload.id)
            raise ApiError(415, "file_content_blocked", params={"kind": describe_type(sniffed)})
        await anyio.to_thread.run_sync(_store, store, key, joined)
    finally:
        await anyio.to_thread.run_sync(joined.close)
    sha256 = digest.hexdigest()
    async with lifecycle.transaction(app) as db:
        # Taken once: a second finish of the same upload (a retry racing
        # the first) finds it done and stores nothing.
        taken = await db.execute(
            update(FileUpload)
            .where(
                FileUpload.id == upload.id,
                FileUpload.received == upload.size,
                FileUpload.state == "receiving",
            )
            .values(state="done", updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            # Their blobs go once this commits (the pieces cannot change
            # now: the upload had every byte).
            await db.execute(delete(FileUploadPiece).where(FileUploadPiece.upload_id == upload.id))
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
            await db.execute(
                update(FileUpload)
                .where(FileUpload.id == upload.id)
                .values(file_id=sent.id)
                .execution_options(synchronize_session=False)
            )
            await lifecycle.record_event(db, meeting, "file.sent", await event_payload(db, sent))
    if taken.rowcount == 1:
        await remove_blobs(app, [piece.blob_key for piece in pieces])
    if sent is None:
        await remove_blobs(app, [key])
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
    whose meeting has ended, with their pieces' blobs, and forget done
    uploads as long after they were done. Returns how many went. (A
    piece's blob whose row never came, after a crash, goes with the sweep
    of blobs no row names.)"""
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
        keys = await forget_uploads(db, stale) if stale else []
    await remove_blobs(app, keys)
    if stale:
        log.info("files: gave up %d uploads (%d pieces)", len(stale), len(keys))
    return len(stale)
