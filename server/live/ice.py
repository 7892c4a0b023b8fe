"""ICE servers for the browsers' peer connections (STUN, and TURN with
time-limited credentials).

TURN credentials follow coturn's REST API scheme (``use-auth-secret``):
the username is ``<expiry unix time>:<participant id>`` and the password is
``base64(HMAC-SHA1(secret, username))``. coturn recomputes the password from
the shared secret, so nothing is stored and a leaked credential stops
working at its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from server.settings import Settings


def turn_credentials(secret: str, participant: str, expires_at: int) -> tuple[str, str]:
    username = f"{expires_at}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(settings: Settings, participant: str, now: float | None = None) -> list[dict]:
    """The ``iceServers`` of an ``RTCPeerConnection`` for one participant
    (``"host-3"``, ``"guest-17"``): empty by default, as on one machine or a
    LAN the browsers reach each other directly."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        expires_at = int(now if now is not None else time.time()) + settings.turn_ttl
        username, credential = turn_credentials(settings.turn_secret, participant, expires_at)
        servers.append(
            {"urls": list(settings.turn_urls), "username": username, "credential": credential}
        )
    return servers
