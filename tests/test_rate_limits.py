"""Rate limits count the same way in memory and in Redis."""

from __future__ import annotations

import uuid

import anyio
import pytest

from server.accounts.rate_limits import Limit, MemoryRateLimiter, RedisRateLimiter, address_key
from tests.conftest import BUS_BACKENDS, REDIS_URL


@pytest.fixture(params=BUS_BACKENDS)
async def limiter(request):
    backend = MemoryRateLimiter() if request.param == "memory" else RedisRateLimiter(REDIS_URL)
    yield backend
    await backend.close()


@pytest.fixture
def key() -> str:
    return f"test:{uuid.uuid4()}"  # Redis is shared between runs


async def test_attempts_within_the_limit_pass_and_the_next_is_told_how_long_to_wait(limiter, key):
    limit = Limit(count=3, seconds=60)
    assert [await limiter.hit(key, limit) for _ in range(3)] == [None, None, None]
    assert await limiter.retry_after(key, limit) is not None

    wait = await limiter.hit(key, limit)

    assert wait is not None
    assert 1 <= wait <= 60


async def test_keys_are_counted_apart(limiter, key):
    limit = Limit(count=1, seconds=60)
    await limiter.hit(key + "a", limit)
    assert await limiter.retry_after(key + "a", limit) is not None
    assert await limiter.retry_after(key + "b", limit) is None


async def test_reset_forgets_the_attempts(limiter, key):
    limit = Limit(count=1, seconds=60)
    await limiter.hit(key, limit)
    await limiter.reset(key)
    assert await limiter.retry_after(key, limit) is None
    assert await limiter.hit(key, limit) is None


async def test_the_window_ends(limiter, key):
    limit = Limit(count=1, seconds=1)
    await limiter.hit(key, limit)
    assert await limiter.retry_after(key, limit) == 1
    await anyio.sleep(1.1)
    assert await limiter.retry_after(key, limit) is None
    assert await limiter.hit(key, limit) is None


@pytest.mark.skipif(not REDIS_URL, reason="needs TSUNAGU_TEST_REDIS_URL")
async def test_two_processes_sharing_redis_share_one_count(key):
    first, second = RedisRateLimiter(REDIS_URL), RedisRateLimiter(REDIS_URL)
    limit = Limit(count=2, seconds=60)
    try:
        await first.hit(key, limit)
        await second.hit(key, limit)
        assert await first.retry_after(key, limit) is not None
    finally:
        await first.close()
        await second.close()


async def test_memory_table_sheds_expired_keys(key):
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0], sweep_at=100)
    for number in range(100):
        await limiter.hit(f"{key}:{number}", Limit(count=5, seconds=10))
    now[0] = 11.0
    await limiter.hit(key, Limit(count=5, seconds=10))
    assert len(limiter._windows) == 1


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 on a dual-stack socket
        ("testclient", "testclient"),
    ],
)
def test_addresses_are_limited_per_subscriber(address, bucket):
    assert address_key(address) == bucket
