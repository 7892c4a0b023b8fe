"""Guarding guessable things (passwords, connection numbers) against guessing.

Each attempt is counted *before* it is checked, atomically, so a burst of
parallel guesses cannot all slip past the limit while the first ones are
still being checked. An attempt that turns out right is taken back, so
people who get it right are never counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from starlette.requests import HTTPConnection

from server.accounts.auth import client_address
from server.accounts.rate_limits import Limit, address_key
from server.web.errors import ApiError
from server.web.services import services


@dataclass(frozen=True)
class Attempt:
    """Counted attempts, to be taken back if the attempt succeeds."""

    keys: tuple[str, ...]
    # Keys whose earlier failures are forgiven on success (a login's account).
    forgive: tuple[str, ...] = ()

    async def succeeded(self, connection: HTTPConnection) -> None:
        limiter = services(connection).rate_limiter
        for key in self.keys:
            await (limiter.reset(key) if key in self.forgive else limiter.undo(key))


class Check(NamedTuple):
    """One key to count against its limit, and the refusal when it is over:
    ``status`` and ``code``, or the attempt's own code when ``code`` is None."""

    key: str
    limit: Limit
    status: int = 429
    code: str | None = None


async def begin_attempt(
    connection: HTTPConnection,
    limits: Sequence[tuple[str, Limit] | Check],
    *,
    code: str,
    all_or_nothing: bool = False,
) -> Attempt:
    """Count one attempt against each key in turn; raise ``429 code`` (or the
    key's own :class:`Check` status and code) at the first that is over its
    limit, with the wait in ``Retry-After``.

    Put the address first: a blocked address is then refused before any
    further counter is created, so guessing with ever new names cannot make
    the limiter itself grow without bound.

    With ``all_or_nothing`` a refusal takes back every count this attempt
    made, so being refused by one limit never uses up another (an SMS refused
    for the host's allowance leaves the number's allowance as it was). Without
    it, guesses refused at the account still count against the address.
    """
    limiter = services(connection).rate_limiter
    counted: list[str] = []
    for entry in limits:
        check = Check(*entry)
        wait = await limiter.hit(check.key, check.limit)
        counted.append(check.key)
        if wait:
            if all_or_nothing:
                for key in counted:
                    await limiter.undo(key)
            raise ApiError(
                check.status,
                check.code or code,
                params={"minutes": math.ceil(wait / 60), "seconds": wait},
                headers={"Retry-After": str(wait)},
            )
    return Attempt(tuple(counted))


def address_limit_key(connection: HTTPConnection, purpose: str) -> str:
    return f"{purpose}:address:{address_key(client_address(connection))}"


async def begin_login_attempt(connection: HTTPConnection, username: str) -> Attempt:
    """A password check for ``username`` (the login form, or the password
    change form, where a stolen session must not get to guess either)."""
    settings = services(connection).settings
    window = settings.login_window_seconds
    account = f"login:account:{username}"
    attempt = await begin_attempt(
        connection,
        [
            (
                address_limit_key(connection, "login"),
                Limit(settings.login_attempts_per_address, window),
            ),
            (account, Limit(settings.login_attempts_per_account, window)),
        ],
        code="too_many_logins",
    )
    return Attempt(attempt.keys, forgive=(account,))
