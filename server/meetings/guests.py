"""Guests and their bearer tokens.

A guest is identified by a signed token (not a cookie, so third-party
cookie blocking on the owner's site cannot break the snippet). The token
names the guest; everything else about them is read from the database.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from server.storage.models import Guest
from server.web.cors import check_guest_origin
from server.web.errors import ApiError
from server.web.services import services

TOKEN_SALT = "tsunagu.guest"  # noqa: S105 (a salt name)
# Long enough for the longest meeting; a new number gives a new token anyway.
TOKEN_MAX_AGE = 24 * 3600


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def guest_token(secret_key: str, guest: Guest) -> str:
    return _signer(secret_key).dumps({"g": guest.id})


def guest_id_from_token(secret_key: str, token: str) -> int:
    """The guest a token names, or ``401`` saying why it cannot be used."""
    try:
        data = _signer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise ApiError(401, "guest_token_expired") from None
    except BadSignature:
        raise ApiError(401, "invalid_guest_token") from None
    if not isinstance(data, dict) or not isinstance(data.get("g"), int):
        raise ApiError(401, "invalid_guest_token")
    return data["g"]


def bearer(connection: HTTPConnection) -> str:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def require_guest(connection: HTTPConnection, db: AsyncSession, token: str = "") -> Guest:
    """The guest behind the request's bearer token (or ``token``), calling
    from our own pages or from one of their site's origins."""
    token = token or bearer(connection)
    if not token:
        raise ApiError(401, "guest_token_required")
    guest_id = guest_id_from_token(services(connection).settings.secret_key, token)
    guest = await db.get(Guest, guest_id)
    if guest is None:
        raise ApiError(401, "invalid_guest_token")
    await check_guest_origin(connection, db, guest)
    return guest
