"""Personal API tokens for integrations: shown once, stored hashed, revocable."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from server.accounts.login_sessions import token_hash
from server.storage.models import ApiToken, User, utcnow
from server.web.errors import ApiError

# Recognisable in logs and by secret scanners.
TOKEN_PREFIX = "tsu_"  # noqa: S105 (a prefix, not a secret)
USED_EVERY = timedelta(minutes=1)


async def create_token(db: AsyncSession, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned here and never again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiError(422, "invalid_token_name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(raw), prefix=raw[:10])
    db.add(token)
    await db.flush()
    return token, raw


async def resolve_token(db: AsyncSession, raw: str) -> ApiToken | None:
    """The live token for a bearer value, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = await db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= USED_EVERY:
        await db.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(token, "last_used_at", now)
    return token


async def list_tokens(db: AsyncSession, user: User) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    )
    return list(await db.scalars(query))


async def revoke_token(db: AsyncSession, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's id is "not found"."""
    token = await db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise ApiError(404, "token_not_found")
    token.revoked_at = utcnow()
    await db.flush()
    return token
