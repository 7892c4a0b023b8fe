"""Signed, expiring join links: ``PUBLIC_URL/j/<token>``.

A token names one meeting and one purpose and is useless for anything else.
It carries only the meeting id, so the link stays short enough for an SMS.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.errors import ApiError

SALT = "tsunagu.join-link"
DEFAULT_MINUTES = 30


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def join_token(secret_key: str, meeting_id: int) -> str:
    return _signer(secret_key).dumps(meeting_id)


def join_url(base_url: str, secret_key: str, meeting_id: int) -> str:
    return f"{base_url.rstrip('/')}/j/{join_token(secret_key, meeting_id)}"


def meeting_from_token(secret_key: str, token: str, *, minutes: int = DEFAULT_MINUTES) -> int:
    """The meeting a link was made for, or a 4xx saying why it cannot be used."""
    try:
        meeting_id = _signer(secret_key).loads(token, max_age=minutes * 60)
    except SignatureExpired:
        raise ApiError(410, "link_expired") from None
    except BadSignature:
        raise ApiError(404, "link_invalid") from None
    if not isinstance(meeting_id, int) or isinstance(meeting_id, bool):
        raise ApiError(404, "link_invalid")
    return meeting_id
