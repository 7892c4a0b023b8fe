"""Connection numbers: issued at random, held until they expire, claimed once."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import update

from server.meetings import lifecycle as meetings
from server.meetings import numbers
from server.storage.models import ConnectionNumber, Guest, NumberSlot, utcnow
from server.web.errors import ApiError
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in

POLICY = numbers.NumberPolicy(digits=4, ttl_seconds=120)


async def new_guest(app) -> Guest:
    async with services(app).db.begin() as db:
        guest = Guest()
        db.add(guest)
        await db.flush()
        return guest


async def issue(app, policy=POLICY) -> ConnectionNumber:
    guest = await new_guest(app)
    async with services(app).db.begin() as db:
        return await numbers.issue_number(db, guest, policy)


async def test_many_guests_asking_at_once_never_share_a_live_number(app):
    issued = await asyncio.gather(*(issue(app) for _ in range(40)))
    values = [n.number for n in issued]
    assert len(set(values)) == 40
    assert all(len(v) == 4 and v.isdigit() for v in values)


async def test_numbers_are_not_handed_out_in_sequence(app):
    values = sorted([int((await issue(app)).number) for _ in range(12)])
    steps = {b - a for a, b in itertools.pairwise(values)}
    assert steps != {1}


async def test_when_every_number_is_held_the_guest_is_told_to_wait(app):
    tiny = numbers.NumberPolicy(digits=3, ttl_seconds=120)
    async with services(app).db.begin() as db:
        # Hold all 1000 three-digit numbers.
        for value in range(1000):
            db.add(NumberSlot(number=f"{value:03d}", held_until=utcnow() + timedelta(seconds=60)))
    with pytest.raises(ApiError) as refused:
        await issue(app, tiny)
    assert refused.value.status == 503
    assert refused.value.code == "numbers_exhausted"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 61
    # One comes free: the next guest gets exactly that one.
    async with services(app).db.begin() as db:
        await db.execute(
            update(NumberSlot).where(NumberSlot.number == "427").values(held_until=utcnow())
        )
    assert (await issue(app, tiny)).number == "427"


async def test_an_expired_number_is_free_for_the_next_guest(app):
    tiny = numbers.NumberPolicy(digits=3, ttl_seconds=120)
    async with services(app).db.begin() as db:
        for value in range(1000):
            if value != 5:
                db.add(
                    NumberSlot(number=f"{value:03d}", held_until=utcnow() + timedelta(minutes=1))
                )
        db.add(NumberSlot(number="005", held_until=utcnow() - timedelta(seconds=1)))
    assert (await issue(app, tiny)).number == "005"


@pytest.mark.parametrize(
    ("typed", "number"),
    [("0427", "0427"), ("04 27", "0427"), ("04-27", "0427"), ("０４２７", "0427")],
)
def test_hosts_may_type_numbers_with_spaces_or_full_width_digits(typed, number):
    assert numbers.normalize_number(typed, POLICY) == number


@pytest.mark.parametrize("typed", ["042", "04277", "04a7", "", "٠٤٢٧x"])
def test_malformed_numbers_are_refused(typed):
    with pytest.raises(ApiError) as refused:
        numbers.normalize_number(typed, POLICY)
    assert refused.value.code == "invalid_number"


async def test_twenty_hosts_typing_the_same_number_at_once_make_one_meeting(app, make_user):
    hosts = [await make_user(f"host{n}") for n in range(20)]
    issued = await issue(app)

    async def claim(host):
        try:
            async with meetings.transaction(app) as db:
                return await meetings.start_by_number(db, host, issued.number, POLICY)
        except ApiError as error:
            return error.code

    results = await asyncio.gather(*(claim(host) for host in hosts))

    won = [r for r in results if not isinstance(r, str)]
    assert len(won) == 1
    assert sorted(set(r for r in results if isinstance(r, str))) == ["number_used"]
    async with services(app).db() as db:
        stored = await db.get(ConnectionNumber, issued.id)
    assert stored.meeting_id == won[0].id


async def test_claim_answers_unknown_expired_and_used_distinctly(app, client, make_user):
    await make_user("tanaka")
    await log_in(client, "tanaka")
    token = await csrf_token(client, "/account")
    headers = {"x-csrf-token": token}

    unknown = await client.post("/api/v1/meetings", json={"number": "9999"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "number_unknown"
    assert "9999" in unknown.json()["error"]["message"]

    issued = await issue(app)
    async with services(app).db.begin() as db:
        await db.execute(
            update(ConnectionNumber)
            .where(ConnectionNumber.id == issued.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await client.post("/api/v1/meetings", json={"number": issued.number}, headers=headers)
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "number_expired"

    fresh = await issue(app)
    first = await client.post("/api/v1/meetings", json={"number": fresh.number}, headers=headers)
    assert first.status_code == 201
    again = await client.post("/api/v1/meetings", json={"number": fresh.number}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "number_used"


async def claim_from(app, address: str, number: str, cookies=None):
    async with http_client(app, address=address) as client:
        if cookies is None:
            await log_in(client, "tanaka")
        else:
            client.cookies = cookies
        token = await csrf_token(client, "/account")
        answer = await client.post(
            "/api/v1/meetings", json={"number": number}, headers={"x-csrf-token": token}
        )
        return answer, client.cookies


async def test_guessing_numbers_is_limited_per_host_from_any_address(app, make_user):
    await make_user("tanaka")
    limit = services(app).settings.claim_attempts_per_minute
    cookies = None
    for guess in range(limit):  # each guess from another address
        answer, cookies = await claim_from(app, f"203.0.113.{guess + 1}", f"{guess:04d}", cookies)
        assert answer.status_code == 404
    refused, _ = await claim_from(app, "203.0.113.200", "1234", cookies)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["retry-after"]) >= 1


async def test_one_hosts_typos_do_not_lock_out_colleagues_in_the_same_office(app, make_user):
    await make_user("tanaka")
    await make_user("suzuki")
    limit = services(app).settings.claim_attempts_per_minute
    async with http_client(app, address="203.0.113.77") as office_pc:
        await log_in(office_pc, "tanaka")
        token = await csrf_token(office_pc, "/account")
        for guess in range(limit):
            await office_pc.post(
                "/api/v1/meetings", json={"number": f"{guess:04d}"}, headers={"x-csrf-token": token}
            )
    issued = await issue(app)
    async with http_client(app, address="203.0.113.77") as colleague:
        await log_in(colleague, "suzuki")
        token = await csrf_token(colleague, "/account")
        answer = await colleague.post(
            "/api/v1/meetings", json={"number": issued.number}, headers={"x-csrf-token": token}
        )
    assert answer.status_code == 201


async def test_a_number_that_lapsed_long_ago_is_simply_unknown(app, make_user):
    host = await make_user("tanaka")
    issued = await issue(app)
    async with services(app).db.begin() as db:
        await db.execute(
            update(ConnectionNumber)
            .where(ConnectionNumber.id == issued.id)
            .values(expires_at=utcnow() - timedelta(minutes=11))
        )
    with pytest.raises(ApiError) as refused:
        async with services(app).db.begin() as db:
            await numbers.claim_number(db, issued.number, user_id=host.id)
    assert refused.value.code == "number_unknown"
