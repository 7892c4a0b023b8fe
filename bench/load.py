"""Driving a server with concurrent clients and summarising latencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    operations: int
    seconds: float
    latencies: list[float]  # sorted, in seconds

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds

    def percentile(self, p: float) -> float:
        """Latency at percentile ``p`` (0-100), in milliseconds."""
        index = min(len(self.latencies) - 1, max(0, round(p / 100 * len(self.latencies)) - 1))
        return self.latencies[index] * 1000


async def run(
    operation: Callable[[int], Awaitable[None]], *, operations: int, concurrency: int
) -> Result:
    """Run ``operation(n)`` ``operations`` times from ``concurrency`` workers."""
    latencies: list[float] = []
    counter = iter(range(operations))

    async def worker() -> None:
        for n in counter:
            started = time.perf_counter()
            await operation(n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(operations, time.perf_counter() - started, sorted(latencies))
