"""Where every byte the product stores is kept (captures now; files,
documents and recordings later): one small interface with two backends, a
local folder and S3-compatible object storage, chosen by settings in
:func:`create_blob_store`.

The interface is synchronous; callers run it in a worker thread
(``anyio.to_thread.run_sync``) so the event loop never waits on a disk or
on the network. boto3's clients are thread-safe, so one client serves every
thread.

Blobs are written first and the database row that names them afterwards;
a crash in between leaves a blob with no row, which the sweeper
(``server/meetings/retention.py``) removes once it is old enough that no upload can
still be writing its row.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from server.settings import Settings

KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,120}$")
# S3 deletes at most this many keys in one request.
DELETE_BATCH = 1000


class BlobTooLarge(Exception):
    """:meth:`BlobStore.read` found the blob larger than the limit it was given."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    modified: datetime  # UTC

    def age(self, now: datetime | None = None) -> float:
        """Seconds since the blob was written."""
        return ((now or datetime.now(UTC)) - self.modified).total_seconds()


class BlobStore(Protocol):
    """Every method may block: call them from a worker thread."""

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store ``data`` under ``key``, completely or not at all."""

    def put_file(self, key: str, file: BinaryIO, content_type: str | None = None) -> None:
        """Store what ``file`` holds from its position on, without reading
        it into memory at once (for large objects such as recordings)."""

    def get(self, key: str) -> bytes | None:
        """The blob, or ``None`` when there is none under ``key``."""

    def read(self, key: str, limit: int) -> bytes | None:
        """Like :meth:`get`, but raise :class:`BlobTooLarge` instead of
        reading a blob of more than ``limit`` bytes."""

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        """Up to ``length`` bytes of the blob from ``start`` (fewer at its
        end, ``b""`` past it), so a large blob is read a piece at a time;
        ``None`` when there is no blob under ``key``."""

    def delete(self, key: str) -> None:
        """Remove the blob; removing one that is not there is not an error."""

    def delete_many(self, keys: Iterable[str]) -> None: ...

    def list(self) -> Iterator[StoredBlob]:
        """Every stored blob, with its size and when it was written."""

    def sweep_temporary(self, older_than: float) -> int:
        """Remove what interrupted writes left behind more than
        ``older_than`` seconds ago; return how many were removed."""

    def presigned_url(
        self, key: str, *, seconds: int, content_type: str, disposition: str
    ) -> str | None:
        """A URL a browser can GET the blob from directly for ``seconds``,
        answered with this content type and ``Content-Disposition``; ``None``
        when the store cannot give one (the local folder)."""

    def origin(self) -> str:
        """The origin presigned URLs point at ("" when there are none), for
        the console's Content-Security-Policy."""

    def check(self) -> None:
        """Raise with a plain message if the store cannot be used."""


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a blob key: {key!r}")
    return key


def new_key(extension: str) -> str:
    """A fresh, unguessable blob key."""
    return f"{secrets.token_hex(16)}.{extension}"


def content_disposition(filename: str, *, inline: bool = True) -> str:
    """``inline; filename="capture-3.jpg"``. A name that is not plain
    printable ASCII also gets an RFC 5987 ``filename*`` (UTF-8, so a
    Japanese name is kept), after an ASCII ``filename`` for the rare client
    that reads only that (RFC 6266 section 4.3)."""
    kind = "inline" if inline else "attachment"
    if is_plain_ascii(filename):
        return f'{kind}; filename="{filename}"'
    fallback = "".join(c if is_plain_ascii(c) else "_" for c in filename)
    stem, dot, extension = fallback.rpartition(".")
    if not stem.strip("_ ") and dot:  # nothing readable left but the extension
        fallback = f"file.{extension}"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def is_plain_ascii(text: str) -> bool:
    """Printable ASCII that needs no escaping inside a quoted string."""
    return all(" " <= c <= "~" and c not in '"\\%' for c in text)


class LocalBlobStore:
    """Files under one folder, in subfolders named by the key's first two
    characters. A blob is written to a temporary file in ``tmp/``, synced
    and renamed into place, so a crash never leaves half a blob under a key
    (only a temporary file, which the sweeper removes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temporary = root / "tmp"
        self.temporary.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)[:2] / key

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self._write(key, lambda handle: handle.write(data))

    def put_file(self, key: str, file: BinaryIO, content_type: str | None = None) -> None:
        self._write(key, lambda handle: shutil.copyfileobj(file, handle, 1024 * 1024))

    def _write(self, key: str, write) -> None:
        final = self.path(key)
        final.parent.mkdir(exist_ok=True)
        temporary = self.temporary / f"{key}.{secrets.token_hex(4)}"
        try:
            with open(temporary, "xb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def read(self, key: str, limit: int) -> bytes | None:
        try:
            with self.path(key).open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > limit:
                    raise BlobTooLarge(size)
                return handle.read()
        except FileNotFoundError:
            return None

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        try:
            with self.path(key).open("rb") as handle:
                handle.seek(start)
                return handle.read(length)
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    def list(self) -> Iterator[StoredBlob]:
        for folder in sorted(self.root.iterdir()):
            if folder == self.temporary or not folder.is_dir() or len(folder.name) != 2:
                continue
            for entry in os.scandir(folder):
                if not KEY.fullmatch(entry.name) or not entry.name.startswith(folder.name):
                    continue
                try:
                    stat = entry.stat()
                except FileNotFoundError:  # deleted meanwhile
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield StoredBlob(entry.name, stat.st_size, modified)

    def sweep_temporary(self, older_than: float) -> int:
        cutoff = time.time() - older_than
        removed = 0
        for entry in os.scandir(self.temporary):
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # another instance removed it first
                continue
        return removed

    def presigned_url(
        self, key: str, *, seconds: int, content_type: str, disposition: str
    ) -> str | None:
        return None

    def origin(self) -> str:
        return ""

    def check(self) -> None:
        self.temporary.mkdir(parents=True, exist_ok=True)


class S3BlobStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2,
    Google Cloud Storage's XML API, ...), under ``prefix``. A PUT is atomic
    in S3, so a crash leaves no half object; a large :meth:`put_file` is a
    multipart upload, whose abandoned parts :meth:`sweep_temporary` aborts.

    boto3 rather than an async client: it is the reference S3 client, kept
    by AWS, its presigned URLs take the response header overrides this needs
    (content type, Content-Disposition), and running it in threads costs
    nothing next to the network round trip.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        config = Config(
            # Endpoints other than AWS (MinIO, a test server) are addressed
            # by path; AWS picks virtual-hosted buckets itself.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=32,
        )
        # Unset credentials fall through to boto3's usual chain: the AWS_*
        # variables, ~/.aws, an instance or task role.
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or None,
        )
        self.client = session.client("s3", endpoint_url=endpoint_url or None, config=config)
        self.transfer = TransferConfig(multipart_threshold=16 * 1024 * 1024, use_threads=False)
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.name(new_key("bin"))}
        )
        self._origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))

    def name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self.name(key), Body=data, **extra)

    def put_file(self, key: str, file: BinaryIO, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.upload_fileobj(
            file, self.bucket, self.name(key), ExtraArgs=extra, Config=self.transfer
        )

    def _get_object(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def get(self, key: str) -> bytes | None:
        found = self._get_object(key)
        return None if found is None else found["Body"].read()

    def read(self, key: str, limit: int) -> bytes | None:
        # One request either way: the size arrives with the headers, and the
        # body is left unread (the connection closed) when it is too large.
        found = self._get_object(key)
        if found is None:
            return None
        if found["ContentLength"] > limit:
            found["Body"].close()
            raise BlobTooLarge(found["ContentLength"])
        return found["Body"].read()

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            found = self.client.get_object(
                Bucket=self.bucket, Key=self.name(key), Range=f"bytes={start}-{start + length - 1}"
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            if code == "InvalidRange":  # from past the end
                return b""
            raise
        return found["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.name(key))

    def delete_many(self, keys: Iterable[str]) -> None:
        names = [self.name(key) for key in keys]
        for start in range(0, len(names), DELETE_BATCH):
            batch = names[start : start + DELETE_BATCH]
            answer = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True},
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise RuntimeError(
                    f"S3 refused to delete {len(answer['Errors'])} objects, e.g. "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )

    def list(self) -> Iterator[StoredBlob]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                # Anything else sharing the prefix is not ours to judge.
                if KEY.fullmatch(key):
                    yield StoredBlob(key, item["Size"], item["LastModified"].astimezone(UTC))

    def sweep_temporary(self, older_than: float) -> int:
        now = datetime.now(UTC)
        removed = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if (now - upload["Initiated"]).total_seconds() > older_than:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed

    def presigned_url(
        self, key: str, *, seconds: int, content_type: str, disposition: str
    ) -> str | None:
        # Signed locally: no request to the store.
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self.name(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "private, max-age=31536000, immutable",
            },
            ExpiresIn=seconds,
        )

    def origin(self) -> str:
        return self._origin

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise RuntimeError(
                f"the S3 bucket {self.bucket!r} cannot be reached: {exc} "
                "(check TSUNAGU_S3_BUCKET, TSUNAGU_S3_ENDPOINT_URL and the credentials)"
            ) from exc


def create_blob_store(settings: Settings) -> BlobStore:
    """The one place the backend is chosen (``TSUNAGU_BLOB_STORE``)."""
    if settings.blob_store == "s3":
        return S3BlobStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return LocalBlobStore(settings.data_dir / "blobs")
