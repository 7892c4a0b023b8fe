"""A meeting participant without a browser, built on aiortc.

It joins a meeting's video call through the same HTTP and WebSocket API a
guest's browser uses (``GET /api/v1/guest/call``, ``/api/v1/guest/live``
with signals, see ``server/live/signaling.py``), sends a generated test pattern
as its camera and counts the frames it receives. The tests use it to prove
that signaling works with a WebRTC implementation other than Chromium's; a
recording service can reuse it by consuming :attr:`HeadlessPeer.remote_track`
instead of counting.

It plays the polite side and never offers on its own: it answers the host's
offers (a browser host always offers, having a camera or a receive-only
transceiver to negotiate), so it needs none of the rollback that aiortc
lacks. Usage::

    async with HeadlessPeer(server_url, guest_token) as peer:
        async with asyncio.timeout(20):
            await peer.wait_for_frames(10)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from typing import Any

import av
import httpx
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.sdp import candidate_from_sdp
from websockets.asyncio.client import ClientConnection, connect

log = logging.getLogger("tsunagu.headless_peer")


class TestPattern(VideoStreamTrack):
    """A moving gradient, so every frame differs (a frozen picture would not
    prove that video flows)."""

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        shift = (self.count * 3) % 256
        for index, plane in enumerate(frame.planes):
            rows = self.height if index == 0 else self.height // 2
            if index == 0:
                line = bytes((x + shift) % 256 for x in range(plane.line_size))
            else:
                line = bytes([(64 + 64 * index + shift) % 256]) * plane.line_size
            plane.update(line * rows)
        frame.pts, frame.time_base = pts, time_base
        self.count += 1
        return frame


class HeadlessPeer:
    """A guest's side of the call, joined with that guest's token."""

    def __init__(self, base_url: str, guest_token: str, track: MediaStreamTrack | None = None):
        self.base_url = base_url.rstrip("/")
        self.guest_token = guest_token
        self.track = track or TestPattern()
        self.session = secrets.token_hex(8)
        self.peer_session: str | None = None
        self.pc: RTCPeerConnection | None = None
        self.remote_track: MediaStreamTrack | None = None
        self.frames_received = 0
        self.first_frame_at: float | None = None
        self._frame_seen = asyncio.Event()
        self._socket: ClientConnection | None = None
        self._tasks: list[asyncio.Task] = []
        self._ice: list[RTCIceServer] = []

    async def __aenter__(self) -> HeadlessPeer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Join the call: fetch its ICE servers, open the live socket and say
        hello. If any step fails (or the caller gives up waiting), whatever
        was opened is closed again before the error goes on: ``async with``
        calls no ``__aexit__`` for an ``__aenter__`` that raised."""
        try:
            await self._start()
        except BaseException:
            await self._release()
            raise

    async def _start(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            response = await http.get(
                "/api/v1/guest/call", headers={"authorization": f"Bearer {self.guest_token}"}
            )
        response.raise_for_status()
        setup = response.json()
        self._ice = [
            RTCIceServer(s["urls"], s.get("username"), s.get("credential"))
            for s in setup["ice_servers"]
        ]
        url = self.base_url.replace("http", "ws", 1) + "/api/v1/guest/live"
        self._socket = await connect(url)
        await self._socket.send(json.dumps({"type": "hello", "token": self.guest_token}))
        self._tasks.append(asyncio.create_task(self._read()))
        self._tasks.append(asyncio.create_task(self._ping()))
        await self._signal("hello")

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(15)
            await self._send({"type": "ping"})

    async def _send(self, message: dict[str, Any]) -> None:
        if self._socket is not None:
            await self._socket.send(json.dumps(message))

    async def _signal(self, kind: str, **data: Any) -> None:
        payload = {"kind": kind, "session": self.session, "to_session": self.peer_session, **data}
        await self._send({"type": "signal", "to": "host", "data": payload})

    async def _read(self) -> None:
        assert self._socket is not None
        async for raw in self._socket:
            message = json.loads(raw)
            if message.get("type") == "signal" and message.get("from") == "host":
                try:
                    await self._handle(message["data"])
                except Exception:  # one bad message must not end the call
                    log.exception("could not handle a signal")

    async def _handle(self, data: dict[str, Any]) -> None:
        if data.get("kind") == "hello":
            if data.get("session") != self.peer_session:
                self.peer_session = data.get("session")
                await self._signal("hello")
                await self._connect()
            return
        if data.get("session") != self.peer_session or data.get("to_session") != self.session:
            return  # for an earlier page of ours, or from an earlier page of theirs
        if data.get("kind") == "description" and self.pc is not None:
            await self._description(data["description"])
        elif data.get("kind") == "candidate" and self.pc is not None and data.get("candidate"):
            await self._candidate(data["candidate"])
        elif data.get("kind") == "bye":
            await self._close_pc()

    async def _connect(self) -> None:
        await self._close_pc()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice))
        self.pc = pc
        pc.addTrack(self.track)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.remote_track = track
                self._tasks.append(asyncio.create_task(self._count(track)))

    async def _description(self, description: dict[str, str]) -> None:
        assert self.pc is not None
        if description["type"] != "offer":
            return  # we never offer, so never wait for an answer
        await self.pc.setRemoteDescription(RTCSessionDescription(**description))
        # aiortc gathers every candidate before this returns: they are in the SDP.
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        local = self.pc.localDescription
        await self._signal("description", description={"type": local.type, "sdp": local.sdp})
        await self._signal("camera", on=True)

    async def _candidate(self, candidate: dict[str, Any]) -> None:
        assert self.pc is not None
        line = candidate.get("candidate") or ""
        if not line:
            return
        parsed = candidate_from_sdp(
            line.split(":", 1)[1] if line.startswith("candidate:") else line
        )
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        with contextlib.suppress(Exception):  # e.g. an mDNS name that does not resolve
            await self.pc.addIceCandidate(parsed)

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(Exception):  # the track ends with the connection
            while True:
                await track.recv()
                self.frames_received += 1
                if self.first_frame_at is None:
                    self.first_frame_at = time.monotonic()
                self._frame_seen.set()

    async def wait_for_frames(self, count: int) -> int:
        """Wait until ``count`` frames of the host's video have been decoded
        (bound it with ``asyncio.timeout``)."""
        while self.frames_received < count:
            self._frame_seen.clear()
            await self._frame_seen.wait()
        return self.frames_received

    async def _close_pc(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None

    async def close(self) -> None:
        """Say goodbye to the host, then close the call and the socket."""
        with contextlib.suppress(Exception):
            await self._signal("bye")
        await self._release()

    async def _release(self) -> None:
        """Stop the tasks and close the peer connection and the socket,
        whichever of them exist."""
        with contextlib.suppress(Exception):  # one that cannot close must not keep the others
            await self._close_pc()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
