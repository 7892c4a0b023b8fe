"""Counting attempts per key within a window: in memory, or in Redis so that
several server processes share one count.

Both backends implement :class:`RateLimiter` with fixed windows that start
at the first counted attempt, and answer how long until the key is free.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis


@dataclass(frozen=True)
class Limit:
    """At most ``count`` attempts per ``seconds``."""

    count: int
    seconds: int


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> int | None:
        """Count one attempt; return seconds to wait if this one is over the limit."""

    async def retry_after(self, key: str, limit: Limit) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may now."""

    async def undo(self, key: str) -> None:
        """Take back one counted attempt (one that turned out to be fine)."""

    async def reset(self, key: str) -> None:
        """Forget the attempts counted for ``key``."""

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """For one process. Expired keys are swept as the table grows, so an
    attacker rotating addresses cannot grow it without bound."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sweep_at: int = 10_000) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._now = clock
        self._min_sweep = self._sweep_at = sweep_at

    def _current(self, key: str) -> tuple[float, int] | None:
        window = self._windows.get(key)
        if window is not None and window[0] <= self._now():
            del self._windows[key]
            return None
        return window

    async def hit(self, key: str, limit: Limit) -> int | None:
        if len(self._windows) >= self._sweep_at:
            now = self._now()
            self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
            # Sweep again only once the table has doubled: amortised constant
            # work per attempt even when most entries are still live.
            self._sweep_at = max(self._min_sweep, 2 * len(self._windows))
        window = self._current(key)
        ends, count = window if window else (self._now() + limit.seconds, 0)
        self._windows[key] = (ends, count + 1)
        return _wait(ends - self._now()) if count + 1 > limit.count else None

    async def retry_after(self, key: str, limit: Limit) -> int | None:
        window = self._current(key)
        if window is None or window[1] < limit.count:
            return None
        return _wait(window[0] - self._now())

    async def undo(self, key: str) -> None:
        window = self._current(key)
        if window is not None and window[1] > 0:
            self._windows[key] = (window[0], window[1] - 1)

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def close(self) -> None:
        self._windows.clear()


class RedisRateLimiter:
    """Shared by every process that uses the same Redis."""

    def __init__(self, url: str, prefix: str = "tsunagu:rl:") -> None:
        self._redis = redis.from_url(url)
        self._prefix = prefix
        self._undo = self._redis.register_script(
            "if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 "
            "then return redis.call('DECR', KEYS[1]) end return 0"
        )

    async def hit(self, key: str, limit: Limit) -> int | None:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            # SET NX starts the window with its expiry in the same step, so a
            # crash between INCR and EXPIRE cannot leave a key that never expires.
            pipe.set(name, 0, ex=limit.seconds, nx=True)
            pipe.incr(name)
            pipe.pttl(name)
            _, count, ttl_ms = await pipe.execute()
        return _wait(ttl_ms / 1000) if count > limit.count else None

    async def retry_after(self, key: str, limit: Limit) -> int | None:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(name)
            pipe.pttl(name)
            count, ttl_ms = await pipe.execute()
        if count is None or int(count) < limit.count:
            return None
        return _wait(ttl_ms / 1000)

    async def undo(self, key: str) -> None:
        # A plain DECR would create a key with no expiry if the window ended.
        await self._undo(keys=[self._prefix + key])

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        await self._redis.aclose()


def _wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def address_key(address: str) -> str:
    """The unit an address is limited by: the address itself for IPv4, its
    /64 network for IPv6, since one subscriber holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:  # ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def create_rate_limiter(redis_url: str) -> RateLimiter:
    """Redis when a URL is configured, else in memory."""
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()


class Budget:
    """How many messages one live socket may send: a token bucket, kept by
    the socket itself (a flood from one client is cut short where it
    arrives, before it reaches anyone else). ``rate`` tokens a second, at
    most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self, amount: float = 1.0) -> bool:
        """Take ``amount`` tokens (one message, or a message's bytes)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True
