"""Chores: work a server process repeats in the background (renewing
presence leases, reaping, sweeping blobs, applying retention).

Each pass runs shielded from cancellation, within a time bound, so a server
shutting down stops a chore between passes, never in the middle of one: a
database connection cancelled mid-transaction is torn down instead of
returned, and on SQLite its close then waits behind the write lock it still
holds (seen as shutdowns that never finished). The shutdown waits for the
pass in progress, at most ``PASS_LIMIT`` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import anyio

# A pass that takes longer than this is given up (and logged); the next one
# tries again. Also the longest a shutdown waits for a chore.
PASS_LIMIT = 20.0

Step = Callable[[], Awaitable[object]]


async def run_pass(steps: Sequence[Step], log: logging.Logger) -> None:
    """Each step once, in order; a failing step is logged and the others
    still run."""
    with anyio.CancelScope(shield=True), anyio.move_on_after(PASS_LIMIT) as bound:
        for step in steps:
            try:
                await step()
            except Exception:  # the database or the store briefly unreachable
                log.exception("%s failed; trying again next round", _name(step))
    if bound.cancelled_caught:
        log.warning("a pass of %s took over %s s; given up", [_name(s) for s in steps], PASS_LIMIT)


async def repeat(steps: Sequence[Step], every: Callable[[], float], log: logging.Logger) -> None:
    """Run ``steps`` now and then every ``every()`` seconds until cancelled;
    ``every()`` of 0 runs them once."""
    while True:
        await run_pass(steps, log)
        interval = every()
        if not interval:
            return
        await anyio.sleep(interval)


def _name(step: Step) -> str:
    named = getattr(step, "func", step)  # a functools.partial names its function
    return getattr(named, "__name__", repr(step))
