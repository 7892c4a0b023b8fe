"""The worker processes that ingest captures, and the bound on their queue.

Decoding and re-encoding a capture is CPU work of 20 to 100 ms and, for a
16-megapixel upload, a few hundred MB of pixels. It runs in a small pool of
separate processes so that the web process's event loop never stalls on it
and never holds that memory: the workers are replaced after
:data:`TASKS_PER_WORKER` jobs each, which returns whatever their allocator
kept. (Not with ``max_tasks_per_child``: on Python 3.11 a pool whose
workers all retire that way while jobs wait starts no new ones and hangs,
CPython gh-115634; measured here with 2 workers and 5 tasks each. The whole
pool is retired instead: it finishes what it has and exits, while a fresh
one takes new jobs.)

Admission has its own bound, apart from anyio's thread limiter (which
password hashing shares): at most ``workers + queue`` jobs are in the pool
at once. One more is refused at once with ``503 ingest_busy`` and a
``Retry-After`` estimated from how long the queue takes to drain, so an
overloaded server answers rather than letting every upload time out.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import math
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from typing import Any, TypeVar

from capture.ingest import ImageRefused, ProcessedImage, process

log = logging.getLogger("tsunagu.ingest")
# A fork server: workers start from a small process that has imported
# Pillow and little else, not from a copy of the web process with its
# sockets, threads and memory.
CONTEXT = multiprocessing.get_context("forkserver")
T = TypeVar("T")
# A worker is replaced after this many captures (about 2 to 5 s of work):
# a fresh process from the fork server costs a few milliseconds.
TASKS_PER_WORKER = 100
# Up to this size (a phone screenshot is 3 megapixels) a worker keeps the
# memory it decoded into for the next capture; above it, it is returned.
KEEP_HEAP_PIXELS = 4_000_000
# What a job is expected to take until one has been measured: a phone
# screenshot's ingest on one core.
FIRST_ESTIMATE = 0.05


class IngestBusy(Exception):
    """The pool is full, or a worker died with the jobs in hand: the upload
    may be sent again in ``retry_after`` seconds (the server answers ``503
    ingest_busy`` with that ``Retry-After``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def timed(work: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``work(*args)`` and the seconds it took, in the worker."""
    started = time.perf_counter()
    result = work(*args)
    return result, time.perf_counter() - started


def ingest(data: bytes) -> ProcessedImage | ImageRefused:
    """:func:`capture.ingest.process`, in a worker. A refusal is returned,
    not raised, so that its time counts towards the pace like any job's."""
    try:
        processed = process(data)
    except ImageRefused as refusal:
        release_memory()  # rare; it may have decoded part of a large picture
        return refusal
    if processed.width * processed.height > KEEP_HEAP_PIXELS:
        release_memory()
    return processed


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator decides
        return None


MALLOC_TRIM = _malloc_trim()


def release_memory() -> None:
    """Hand freed pixels back to the system: glibc keeps freed blocks of a
    few MB in its heap once it has seen them freed (its mmap threshold
    grows), so after a 16-megapixel picture a worker would keep some 200 MB.
    Not after every capture: measured on phone captures, trimming each time
    kept a worker at 71 MB instead of 83 but cost 8 ms a job (40 instead of
    32: 3,000 page faults to get the memory back)."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


def outlive_no_server(server_pid: int) -> None:
    """Run in each worker as it starts: exit as soon as the web process is
    gone, whatever killed it.

    A worker would otherwise outlive a ``kill -9`` of the server for ever:
    it waits on its job queue, whose writing end it holds itself, and it
    keeps open the fork server's "alive" pipe (handed to every child), so
    the fork server never exits either, nor the resource tracker. Once the
    workers are gone, the other two see their pipes close and exit too.
    """
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="tsunagu-server-watch", daemon=True
    ).start()


def _exit_with(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # readable once the process has exited
    except ProcessLookupError:
        os._exit(0)
    except (AttributeError, OSError):  # not Linux 5.3 or newer: look now and then
        while _exists(pid):
            time.sleep(2)
        os._exit(0)
    select.select([handle], [], [])
    os._exit(0)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the number
        return False
    return True


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is counting
        loop.call_soon_threadsafe(callback, *args)


class IngestPool:
    """A bounded pool of worker processes: :meth:`process` an upload there."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self.pending = 0  # jobs submitted and not yet finished (or cancelled)
        self.seconds_per_job = FIRST_ESTIMATE  # a moving average, for Retry-After
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0  # to the current executor

    def prepare(self) -> None:
        """Start the fork server now (blocking: about half a second to import
        Pillow once), so that the first capture after a start does not wait
        for it: measured 4 s for the first captures on a cold instance."""
        CONTEXT.set_forkserver_preload(["capture.ingest"])
        forkserver.ensure_running()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is not None and self._submitted >= TASKS_PER_WORKER * self.workers:
            # Retired: it finishes the jobs it has, then its workers exit.
            self._executor.shutdown(wait=False)
            self._executor = None
        if self._executor is None:
            # Workers are started as jobs come, from the fork server.
            self.prepare()
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=CONTEXT,
                initializer=outlive_no_server,
                initargs=(os.getpid(),),
            )
            self._submitted = 0
        self._submitted += 1
        return self._executor

    def retry_after(self) -> int:
        """Whole seconds until the queue has drained at the current pace."""
        return max(1, math.ceil(self.pending * self.seconds_per_job / self.workers))

    async def process(self, data: bytes) -> ProcessedImage:
        """Check and re-encode ``data`` in a worker, or raise its
        :class:`ImageRefused`; :class:`IngestBusy` when the pool is full."""
        outcome = await self.run(ingest, data)
        if isinstance(outcome, ImageRefused):
            raise outcome
        return outcome

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in a worker (a module-level function: it is
        pickled by name), counted against the bound; :class:`IngestBusy`
        when the pool is full or the worker died."""
        if self.pending >= self.capacity:
            raise self._busy()
        loop = asyncio.get_running_loop()
        try:
            future: Future[tuple[T, float]] = self._pool().submit(timed, work, *args)
        except BrokenProcessPool:
            self._replace()
            raise self._busy() from None
        self.pending += 1
        # Counted until the worker is done with it, not until this request
        # stops waiting: a client that hangs up does not free a busy worker.
        future.add_done_callback(lambda done: _call_soon(loop, self._finished, done))
        try:
            result, _ = await asyncio.wrap_future(future)
            return result
        except BrokenProcessPool:
            # A worker died (killed, or out of memory on a hostile image):
            # every job in the pool failed with it. The client retries.
            log.error("an ingest worker died; starting a new pool")
            self._replace()
            raise self._busy() from None

    def _finished(self, done: Future[tuple[Any, float]]) -> None:
        self.pending -= 1
        if not done.cancelled() and done.exception() is None:
            seconds = done.result()[1]
            self.seconds_per_job += (seconds - self.seconds_per_job) / 8

    def _busy(self) -> IngestBusy:
        return IngestBusy(self.retry_after())

    def _replace(self) -> None:
        broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers; jobs not started are cancelled, running ones
        finish (at most a fraction of a second)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
