"""Password hashing with argon2id.

Hashing costs tens of milliseconds of CPU by design, so it runs in a worker
thread and never stalls the event loop that serves live connections.
"""

from __future__ import annotations

import secrets

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from server.web.errors import ApiError

MIN_LENGTH = 10
MAX_LENGTH = 256


class Passwords:
    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        # Verified against when the username is unknown, so a wrong username
        # takes as long as a wrong password and does not reveal who exists.
        self._decoy = self._hasher.hash(secrets.token_hex(16))

    async def hash(self, password: str) -> str:
        check_strength(password)
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        def verify() -> bool:
            try:
                return self._hasher.verify(stored_hash or self._decoy, password[:MAX_LENGTH])
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(verify) and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ApiError(422, "password_too_short", params={"min": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise ApiError(422, "password_too_long", params={"max": MAX_LENGTH})


def generate_password() -> str:
    """A random password a person can read out and type (no look-alikes)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
