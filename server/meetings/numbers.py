"""Connection numbers: the 4 digits a guest reads to the host over the phone.

Rules (docs/ARCHITECTURE.md, "Inside `server/`"): drawn at random from the
free numbers, valid for a short time, single use, never two live holders of
one number, exactly one winner when two hosts type the same number at once.

A number is *held* from the moment it is issued until it expires, even once
claimed, so that a host who types it again hears "already used" rather than
reaching a stranger who was issued the same digits a moment later.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.settings import Settings
from server.storage.models import ConnectionNumber, Guest, NumberSlot, utcnow
from server.web.errors import ApiError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RANDOM_TRIES = 8
# Long after a number lapsed, "expired" or "already used" would mislead a
# host who misheard today's number; by then it is simply unknown.
FORGET_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class NumberPolicy:
    digits: int = 4
    ttl_seconds: int = 120

    @property
    def size(self) -> int:
        return 10**self.digits

    def format(self, value: int) -> str:
        return str(value).zfill(self.digits)


def policy(settings: Settings) -> NumberPolicy:
    """This deployment's numbers: how many digits, valid for how long."""
    return NumberPolicy(settings.number_digits, settings.number_ttl)


def normalize_number(raw: str, policy: NumberPolicy) -> str:
    """What the host typed, as a number: full-width digits, spaces and
    hyphens are fine ("０４２７", "04 27", "04-27")."""
    text = unicodedata.normalize("NFKC", raw)
    digits = "".join(c for c in text if c not in " -")
    if len(digits) != policy.digits or not (digits.isascii() and digits.isdigit()):
        raise ApiError(422, "invalid_number", params={"digits": policy.digits})
    return digits


async def issue_number(db: AsyncSession, guest: Guest, policy: NumberPolicy) -> ConnectionNumber:
    """Give ``guest`` a fresh number, or ``503 numbers_exhausted``."""
    now = utcnow()
    expires = now + timedelta(seconds=policy.ttl_seconds)
    issued = ConnectionNumber(number="", guest_id=guest.id, issued_at=now, expires_at=expires)
    db.add(issued)
    await db.flush()
    async for candidate in _candidates(db, policy, now):
        if await _take_slot(db, candidate, issued, now):
            issued.number = candidate
            await db.flush()
            return issued
    # Every number is held: say when the first one comes free.
    soonest = await db.scalar(
        select(NumberSlot.held_until).where(NumberSlot.held_until > now).order_by("held_until")
    )
    wait = int((soonest - now).total_seconds()) + 1 if soonest else policy.ttl_seconds
    raise ApiError(503, "numbers_exhausted", headers={"Retry-After": str(wait)})


async def _candidates(db: AsyncSession, policy: NumberPolicy, now: datetime) -> AsyncIterator[str]:
    """A few random numbers first (cheap while most are free), then every
    free number in random order (correct however full the space is). The
    order is unpredictable, so the next number cannot be guessed."""
    for _ in range(RANDOM_TRIES):
        yield policy.format(secrets.randbelow(policy.size))
    held = set(await db.scalars(select(NumberSlot.number).where(NumberSlot.held_until > now)))
    free = [n for n in map(policy.format, range(policy.size)) if n not in held]
    free.sort(key=lambda _: secrets.randbits(32))
    for number in free:
        yield number


async def _take_slot(
    db: AsyncSession, number: str, issued: ConnectionNumber, now: datetime
) -> bool:
    """Compare-and-set: take ``number`` only if nobody holds it now."""
    insert = (postgresql.insert if db.bind.dialect.name == "postgresql" else sqlite.insert)(
        NumberSlot
    )
    await db.execute(
        insert.values(number=number, holder_id=None, held_until=EPOCH).on_conflict_do_nothing()
    )
    taken = await db.execute(
        update(NumberSlot)
        .where(NumberSlot.number == number, NumberSlot.held_until <= now)
        .values(holder_id=issued.id, held_until=issued.expires_at)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


async def find_holder(db: AsyncSession, number: str) -> ConnectionNumber | None:
    """The latest issue of ``number``, live or not."""
    holder_id = await db.scalar(select(NumberSlot.holder_id).where(NumberSlot.number == number))
    return await db.get(ConnectionNumber, holder_id) if holder_id else None


async def claim_number(db: AsyncSession, number: str, *, user_id: int) -> ConnectionNumber:
    """Mark ``number`` claimed by a host, atomically: of two hosts typing it
    at once, exactly one wins; the other gets ``number_used``. Unknown
    numbers are ``number_unknown``, lapsed ones ``number_expired``."""
    holder = await find_holder(db, number)
    now = utcnow()
    if holder is None or holder.expires_at < now - FORGET_AFTER:
        raise ApiError(404, "number_unknown", params={"number": number})
    won = await db.execute(
        update(ConnectionNumber)
        .where(
            ConnectionNumber.id == holder.id,
            ConnectionNumber.claimed_at.is_(None),
            ConnectionNumber.expires_at > now,
        )
        .values(claimed_at=now, claimed_by_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount == 1:
        await db.refresh(holder)
        return holder
    await db.refresh(holder)
    if holder.claimed_at is not None:
        raise ApiError(409, "number_used", params={"number": number})
    raise ApiError(410, "number_expired", params={"number": number})


async def release_numbers(db: AsyncSession, guest: Guest) -> None:
    """Give back the guest's unclaimed live numbers (a re-issue, or leaving)."""
    now = utcnow()
    live = select(ConnectionNumber.id).where(
        ConnectionNumber.guest_id == guest.id,
        ConnectionNumber.claimed_at.is_(None),
        ConnectionNumber.expires_at > now,
    )
    await db.execute(
        update(NumberSlot).where(NumberSlot.holder_id.in_(live)).values(held_until=now)
    )
    await db.execute(
        update(ConnectionNumber)
        .where(ConnectionNumber.id.in_(live))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
