"""Users: hosts who take meetings, and admins who also manage users and sites."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.passwords import Passwords, check_strength
from server.storage.models import LoginSession, User, utcnow
from server.web.errors import ApiError

ROLES = ("host", "admin")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,63}$")


def normalize_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise ApiError(422, "invalid_username")
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ApiError(422, "invalid_role", params={"roles": ", ".join(ROLES)})
    return role


async def create_user(
    db: AsyncSession,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    role: str = "host",
    display_name: str = "",
) -> User:
    """Add a user. A refusal (taken name, weak password) is raised before
    anything is written; a name taken by a concurrent request is refused at
    the insert, which rolls the caller's transaction back."""
    username = normalize_username(username)
    taken = ApiError(409, "username_taken", params={"username": username})
    if await find_by_username(db, username) is not None:
        raise taken
    user = User(
        username=username,
        role=check_role(role),
        display_name=display_name.strip()[:100],
        password_hash=await passwords.hash(password),
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        raise taken from None
    return user


async def get_user(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None:
        raise ApiError(404, "user_not_found")
    return user


async def find_by_username(db: AsyncSession, username: str) -> User | None:
    return await db.scalar(select(User).where(User.username == username.strip().lower()))


async def list_users(db: AsyncSession) -> list[User]:
    return list(await db.scalars(select(User).order_by(User.is_active.desc(), User.username)))


async def count_users(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(User)) or 0


async def update_user(
    db: AsyncSession,
    acting: User,
    user: User,
    *,
    role: str | None = None,
    is_active: bool | None = None,
    display_name: str | None = None,
) -> User:
    """Change a user's role, status or name.

    Admins cannot disable or demote themselves, which also means the acting
    admin always remains: the console can never be left without one.
    """
    demotes = (role is not None and role != "admin") or is_active is False
    if user.id == acting.id and demotes:
        raise ApiError(409, "cannot_demote_self")
    if role is not None:
        user.role = check_role(role)
    if display_name is not None:
        user.display_name = display_name.strip()[:100]
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            # A disabled account is locked out at once, not at cookie expiry.
            await db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    await db.flush()
    return user


async def change_password(
    db: AsyncSession,
    passwords: Passwords,
    user: User,
    *,
    current: str,
    new: str,
    keep_session_hash: str | None,
) -> None:
    """Change a password after checking the current one; every other login
    session of the user ends, as it may be the one the change is meant to stop."""
    check_strength(new)
    if not await passwords.verify(user.password_hash, current):
        raise ApiError(422, "wrong_current_password")
    user.password_hash = await passwords.hash(new)
    user.password_changed_at = utcnow()
    await db.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.token_hash != (keep_session_hash or "")
        )
    )
    await db.flush()


async def reset_password(db: AsyncSession, passwords: Passwords, user: User, new: str) -> None:
    """Set a password for someone who forgot theirs (an admin's or a shell
    action). Every login session of the user ends: whoever held one no longer
    knows the password that goes with the account."""
    user.password_hash = await passwords.hash(new)
    user.password_changed_at = utcnow()
    await db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    await db.flush()
