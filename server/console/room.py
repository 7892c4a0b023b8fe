"""The live meeting room's tool rail: which tools a meeting offers.

A tool is a button on the rail and the panel it opens beside the stage.
Adding one (files, documents, the business card, screen share, recording,
the live view) is one ``Tool`` below, its panel's template under
``templates/console/tools/`` and its label in the catalogs; the page and
``server/static/room.js`` need no change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, TemplateNotFound

from server.storage.models import Meeting


@dataclass(frozen=True)
class Tool:
    id: str
    label: str  # catalog key of the rail button and the panel's heading
    panel: str  # template of the panel's body
    icon: str  # SVG path data on a 24x24 grid, drawn as a stroke
    # A template another part brings (the shared memo's panel): the tool
    # appears once it exists, rather than as a button opening nothing.
    requires: str | None = None


TOOLS: tuple[Tool, ...] = (
    Tool(
        "captures",
        "captures.title",
        "console/tools/captures.html",
        icon="M4 5h16v14H4z M4 15l4-4 4 4 3-3 5 5",
    ),
    # The live view of a snippet guest's page, and the host's pointer on it
    # (issue #16): next to the captures, the other way to see that page.
    Tool(
        "live",
        "live_view.tool",
        "console/tools/live_view.html",
        icon="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z M9 12a3 3 0 1 0 6 0a3 3 0 1 0-6 0",
    ),
    Tool(
        "memo",
        "room.tool.memo",
        "console/tools/memo.html",
        icon="M6 3h9l4 4v14H6z M9 10h7 M9 14h7 M9 18h4",
        requires="console/memo_panel.html",
    ),
    Tool(
        "files",
        "room.tool.files",
        "console/tools/files.html",
        icon="M6 3h8l5 5v13H6z M14 3v5h5 M12 11v7 M9 15l3 3 3-3",
    ),
    Tool(
        "documents",
        "room.tool.documents",
        "console/tools/documents.html",
        icon="M7 3h7l5 5v13H7z M14 3v5h5 M4 7v14h11",
    ),
    Tool(
        "card",
        "room.tool.card",
        "console/tools/card.html",
        icon="M3 6h18v12H3z M6 10h6 M6 14h4 M15 9.5a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0-3 0 M14.5 15h4",
    ),
    Tool(
        "screen",
        "room.tool.screen",
        "console/tools/screen.html",
        icon="M3 4h18v12H3z M8 20h8 M12 16v4",
    ),
    Tool(
        "checklist",
        "room.tool.checklist",
        "console/tools/checklist.html",
        icon="M10 6h10 M10 12h10 M10 18h10 M3 6l1.5 1.5L7 5 M3 12l1.5 1.5L7 11 M3 18l1.5 1.5L7 17",
    ),
    Tool(
        "recording",
        "room.tool.recording",
        "console/tools/recording.html",
        icon="M4 12a8 8 0 1 0 16 0a8 8 0 1 0-16 0 M9 12a3 3 0 1 0 6 0a3 3 0 1 0-6 0",
    ),
    Tool(
        "invite",
        "invite.title",
        "console/tools/invite.html",
        icon="M3 11 21 3l-8 18-2-8z M11 13l10-10",
    ),
    Tool(
        "devices",
        "room.tool.devices",
        "console/tools/devices.html",
        icon="M3 7h11a2 2 0 0 1 2 2v1.5L21 7v10l-5-3.5V15a2 2 0 0 1-2 2H3z",
    ),
)


def _exists(env: Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except TemplateNotFound:
        return False
    return True


def rail(meeting: Meeting, env: Environment, label: Callable[[str], str]) -> dict[str, Any]:
    """The page's ``tools`` (a running meeting's: an ended one's page is
    its record, with no rail) with their labels in the page's language, and
    ``open_tool``: the panel open when the page loads. That is the
    invitation while a link meeting waits for its guest (the host has the
    link to hand out), none otherwise, so the stage gets the room."""
    tools = [
        {"id": tool.id, "label": label(tool.label), "panel": tool.panel, "icon": tool.icon}
        for tool in TOOLS
        if tool.requires is None or _exists(env, tool.requires)
    ]
    waiting = meeting.state == "waiting" and any(tool["id"] == "invite" for tool in tools)
    return {"tools": tools, "open_tool": "invite" if waiting else None}
