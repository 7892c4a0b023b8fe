"""Join links: ``PUBLIC_URL/j/<token>``.

A token is an ``itsdangerous``-signed, expiring reference to one
:class:`~server.storage.models.JoinLink` row, which names one meeting; the link is
useless for any other meeting, and once a guest has used it, it admits that
guest's browser alone (a forwarded SMS or a photographed QR code lets nobody
else in). The token carries only the row id, so the link stays short
enough for an SMS.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.models import JoinLink, utcnow
from server.web.errors import ApiError

SALT = "tsunagu.join-link"
DEFAULT_MINUTES = 30
# Longer than any token we make; anything longer is not worth verifying.
MAX_TOKEN_LENGTH = 200


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def join_token(secret_key: str, link_id: int) -> str:
    return _signer(secret_key).dumps(link_id)


def join_url(base_url: str, secret_key: str, link_id: int) -> str:
    return f"{base_url.rstrip('/')}/j/{join_token(secret_key, link_id)}"


def _checked(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError(404, "link_invalid")
    return value


def signed_link_id(secret_key: str, token: str) -> int:
    """The link a genuine token names, however old it is (to let a guest who
    is already in the meeting back in); 404 for anything we did not sign."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(404, "link_invalid")
    try:
        return _checked(_signer(secret_key).loads(token))
    except BadSignature:
        raise ApiError(404, "link_invalid") from None


def link_id_from_token(secret_key: str, token: str, *, minutes: int = DEFAULT_MINUTES) -> int:
    """The link a token names, or a 4xx saying why it cannot be used."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(404, "link_invalid")
    try:
        return _checked(_signer(secret_key).loads(token, max_age=minutes * 60))
    except SignatureExpired:
        raise ApiError(410, "link_expired") from None
    except BadSignature:
        raise ApiError(404, "link_invalid") from None


async def create_link(
    db: AsyncSession, meeting_id: int, user_id: int | None, *, expires_at: datetime | None = None
) -> JoinLink:
    """A new link; ``expires_at`` for one that lasts until a chosen moment
    (a prepared meeting's), else it lasts the server's link minutes."""
    link = JoinLink(meeting_id=meeting_id, created_by_id=user_id, expires_at=expires_at)
    db.add(link)
    await db.flush()
    return link


def check_usable(link: JoinLink | None, secret_key: str, token: str, *, minutes: int) -> JoinLink:
    """The link a genuine token names, if it can still be used to join: a
    prepared meeting's link until its own ``expires_at``, any other for
    ``minutes`` after it was signed. ``404 link_invalid`` or ``410 link_expired``."""
    if link is None:
        raise ApiError(404, "link_invalid")
    if link.expires_at is None:
        link_id_from_token(secret_key, token, minutes=minutes)
    elif link.expires_at <= utcnow():
        raise ApiError(410, "link_expired")
    return link


async def claim_link(db: AsyncSession, link: JoinLink, guest_id: int) -> None:
    """Make the link this guest's (or confirm it is); ``409 link_used`` if
    another guest's browser used it first. One conditional UPDATE, so two
    phones tapping at once cannot both get in."""
    claimed = await db.execute(
        update(JoinLink)
        .where(
            JoinLink.id == link.id,
            or_(JoinLink.guest_id.is_(None), JoinLink.guest_id == guest_id),
        )
        .values(guest_id=guest_id, used_at=link.used_at or utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0:
        raise ApiError(409, "link_used")
