"""Reading a live socket in a test: wait for the message the test is about."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio


async def next_message(
    socket: Any,
    *types: str,
    matching: Callable[[dict[str, Any]], bool] | None = None,
    seconds: float = 10,
) -> dict[str, Any]:
    """The next JSON message on ``socket`` whose ``type`` is one of ``types``
    (any, when none is given) and that ``matching`` accepts; every other
    message on the way is skipped. Fails the test after ``seconds``."""
    with anyio.fail_after(seconds):
        while True:
            message = json.loads(await socket.recv())
            if types and message.get("type") not in types:
                continue
            if matching is None or matching(message):
                return message
