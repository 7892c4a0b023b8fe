"""The guest label: the host's name for the guest of a meeting (「山田様」),
set at any time, even after the end, and shown wherever the meeting is
(the meeting, the dashboard, the history, the record). It is the host's
note, never sent to the guest (``server/live/sockets.py: for_guest``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.meetings import lifecycle
from server.meetings.captures import SPACES
from server.storage.models import GUEST_LABEL_LENGTH, Meeting, User


def cleaned(label: str) -> str | None:
    """One line with single spaces; empty means no label."""
    line = SPACES.sub(" ", label).strip()
    return line[:GUEST_LABEL_LENGTH] or None


async def set_label(db: AsyncSession, meeting: Meeting, label: str, by: User) -> Meeting:
    """Set (or, with "", clear) the label; open pages hear of it by the
    event. Setting the label it already has records nothing."""
    new = cleaned(label)
    if new == meeting.guest_label:
        return meeting
    meeting.guest_label = new
    await db.flush()
    await lifecycle.record_event(
        db, meeting, "guest.labelled", {"label": new or "", "by": by.label}
    )
    return meeting
