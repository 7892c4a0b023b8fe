"""Console login sessions, kept server-side so logging out really ends them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from server.storage.models import LoginSession, User, utcnow

# Writing last_seen on every request would turn each page view into a write;
# once every few minutes is enough to show "last active" and slide expiry.
TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    db: AsyncSession, user: User, *, days: int, user_agent: str, address: str
) -> str:
    """Record a new login and return the raw token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=days),
            user_agent=user_agent[:300],
            address=address[:64],
        )
    )
    await db.flush()
    return token


async def resolve_session(db: AsyncSession, token: str, *, days: int) -> LoginSession | None:
    """The live session for a cookie token, or ``None``. Sliding expiry:
    a console used every day stays logged in; one left alone expires."""
    if not token or len(token) > 100:
        return None
    session = await db.get(LoginSession, token_hash(token))
    now = utcnow()
    if session is None or session.expires_at <= now or not session.user.is_active:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        expires = now + timedelta(days=days)
        # A statement, not an ORM change: if "log out everywhere" deleted the
        # row meanwhile, zero rows match and the session is simply gone.
        touched = await db.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == session.token_hash)
            .values(last_seen_at=now, expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if touched.rowcount == 0:
            return None
        # Record what the statement wrote without marking the object
        # changed, so the flush does not write it a second time.
        set_committed_value(session, "last_seen_at", now)
        set_committed_value(session, "expires_at", expires)
        session.refreshed = True
    return session


async def end_session(db: AsyncSession, token: str) -> None:
    await db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


async def end_all_sessions(db: AsyncSession, user_id: int) -> int:
    """Log the user out everywhere; returns how many sessions ended."""
    result = await db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return result.rowcount or 0


async def list_sessions(db: AsyncSession, user_id: int) -> list[LoginSession]:
    query = (
        select(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.expires_at > utcnow())
        .order_by(LoginSession.last_seen_at.desc())
    )
    return list(await db.scalars(query))


# Order matters: Edge and Opera also claim to be Chrome, Chrome claims Safari.
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short "Browser / System" label for a login session, or "" if unknown."""
    browser = next((name for token, name in BROWSERS if token in user_agent), "")
    system = next((name for token, name in SYSTEMS if token in user_agent), "")
    return " / ".join(part for part in (browser, system) if part)
