"""Where capture images are kept: one small interface, a local folder for
now (an object store can implement the same three methods)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,120}$")


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, completely or not at all."""

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class LocalBlobStore:
    """Files under one folder. A blob is written to a temporary file, synced
    and renamed into place, so a crash never leaves half an image under a
    key, and the database row that names it is written only afterwards."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        final = self.path(key)
        final.parent.mkdir(exist_ok=True)
        temporary = self.root / "tmp" / f"{key}.{secrets.token_hex(4)}"
        try:
            with open(temporary, "xb") as handle:
                handle.write(data)
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

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def new_key(extension: str) -> str:
    """A fresh, unguessable blob key."""
    return f"{secrets.token_hex(16)}.{extension}"
