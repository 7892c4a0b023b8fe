"""Guarding password checks against guessing.

Each attempt is counted *before* the password is checked, atomically, so a
burst of parallel guesses cannot all slip past the limit while the first
ones are still being verified. An attempt that turns out to be right is
taken back, so people who type their password correctly are never counted.
"""

from __future__ import annotations

import math

from starlette.requests import Request

from server.auth import client_address
from server.errors import ApiError
from server.rate_limits import Limit, address_key


def attempt_keys(request: Request, username: str) -> list[tuple[str, Limit]]:
    settings = request.app.state.settings
    window = settings.login_window_seconds
    return [
        (f"login:account:{username}", Limit(settings.login_attempts_per_account, window)),
        (
            f"login:address:{address_key(client_address(request))}",
            Limit(settings.login_attempts_per_address, window),
        ),
    ]


async def begin_attempt(request: Request, username: str) -> list[tuple[str, Limit]]:
    """Count one password attempt; raise ``429 too_many_logins`` if over a limit.

    The address is counted first: a blocked address is refused before any
    per-account counter is created, so guessing with ever new usernames
    cannot make the limiter itself grow without bound.
    """
    limiter = request.app.state.rate_limiter
    account, address = attempt_keys(request, username)
    wait = await limiter.hit(*address) or await limiter.hit(*account)
    if wait:
        raise ApiError(
            429,
            "too_many_logins",
            params={"minutes": math.ceil(wait / 60)},
            headers={"Retry-After": str(wait)},
        )
    return [account, address]


async def attempt_succeeded(request: Request, keys: list[tuple[str, Limit]]) -> None:
    """The password was right: the account starts afresh and the address
    gets its attempt back."""
    limiter = request.app.state.rate_limiter
    (account_key, _), (address, _) = keys
    await limiter.reset(account_key)
    await limiter.undo(address)
