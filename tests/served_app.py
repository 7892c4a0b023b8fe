"""The test's app served by uvicorn inside the test's own event loop, so a
test can talk to it over real sockets and still read its logs (caplog) and
its database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import uvicorn
from starlette.applications import Starlette

from tests.live_server import free_port


@dataclass
class Served:
    server: uvicorn.Server
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def idle(self) -> None:
        """Wait until every request and socket handler has returned."""
        with anyio.fail_after(10):
            while tasks := set(self.server.server_state.tasks):
                await asyncio.wait(tasks)


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[Served]:
    """Serve ``app``, already started (the ``app`` fixture ran its lifespan)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        # No logging setup of uvicorn's own: its records reach caplog.
        log_config=None,
        ws_max_size=64 * 1024,
    )
    config.load()
    server = uvicorn.Server(config)
    # Uvicorn's serve() without its main loop and signal handling, which
    # belong to the process, not to a test.
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    try:
        yield Served(server, "127.0.0.1", port)
    finally:
        await server.shutdown()
