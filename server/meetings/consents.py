"""The consent record: what a guest agreed to, when, under which wording.

An agreement is stored by the server call that the agreeing tap makes (the
snippet's 「同意して接続番号を発行」 and the join page's checkbox with its
button both ask for a number or join by link), in that call's transaction:
there is no number, and no meeting, without the agreement on record.

Kinds: "capture" (pictures of the page, the snippet), "terms" (the join
page's terms of use and privacy policy); "camera" and "recording" come with
the waiting room and recording. ``terms`` names the text the guest was
shown, with its version: change the wording, bump the version.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.models import Consent, Guest


@dataclass(frozen=True)
class Wording:
    kind: str
    terms: str
    place: str


# The snippet's intro and privacy text (embed/widget.js, S.intro/S.privacy).
SNIPPET_CAPTURE = Wording("capture", "widget.intro+privacy@1", "snippet")
# The join page's checkbox (server/i18n: join.consent), by number or link.
JOIN_TERMS = Wording("terms", "join.consent@1", "join")
LINK_TERMS = Wording("terms", "join.consent@1", "link")


async def record(db: AsyncSession, guest: Guest, wording: Wording) -> Consent:
    """Store that ``guest`` agreed to ``wording`` now. The same guest asking
    again (an expired number re-issued) agreed once: the first record stands."""
    existing = await db.scalar(
        select(Consent).where(
            Consent.guest_id == guest.id,
            Consent.kind == wording.kind,
            Consent.terms == wording.terms,
        )
    )
    if existing is not None:
        return existing
    return await record_each(db, guest, wording)


async def join_meeting(db: AsyncSession, guest_id: int, meeting_id: int) -> None:
    """The guest is now in ``meeting_id``: what they agreed to before (to
    get their number) belongs to that meeting's record."""
    await db.execute(
        update(Consent)
        .where(Consent.guest_id == guest_id, Consent.meeting_id.is_(None))
        .values(meeting_id=meeting_id)
        .execution_options(synchronize_session=False)
    )


async def of_meeting(db: AsyncSession, meeting_id: int) -> list[Consent]:
    query = select(Consent).where(Consent.meeting_id == meeting_id).order_by(Consent.id)
    return list(await db.scalars(query))


# -- issue #14 recording: the in-meeting prompt (templates/recording_guest.html).
PROMPT_RECORDING = Wording("recording", "recording.prompt@1", "prompt")
# The link page's agreements beside its terms (issue #14, templates/join.html):
# each box the guest ticked before joining or knocking, one record each.
LINK_CAPTURE = Wording("capture", "join.agree_capture@1", "link")
LINK_CAMERA = Wording("camera", "join.agree_camera@1", "link")
LINK_RECORDING = Wording("recording", "join.agree_recording@1", "link")


async def record_each(db: AsyncSession, guest: Guest, wording: Wording) -> Consent:
    """Store that ``guest`` agreed to ``wording`` now, as its own row even if
    they agreed before: what is opt-in each time (the live view) is agreed
    each time, and the record shows every agreement."""
    consent = Consent(
        guest_id=guest.id,
        meeting_id=guest.meeting_id,
        kind=wording.kind,
        terms=wording.terms,
        place=wording.place,
    )
    db.add(consent)
    await db.flush()
    return consent
