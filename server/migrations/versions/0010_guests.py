"""several guests per meeting: each guest's source and state, the video guest

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import json

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='number', nullable=False))
        batch_op.add_column(sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('connected', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_guest_id', sa.Integer(), nullable=True))

    # The guests there already: a site's guest came by the snippet, a link's
    # user by the link; each joined when their meeting started, and is shown
    # as their meeting shows its guest (the reaper corrects it within seconds).
    op.execute("UPDATE guests SET source = 'snippet' WHERE site_id IS NOT NULL")
    op.execute(
        "UPDATE guests SET source = 'link' WHERE id IN "
        "(SELECT guest_id FROM join_links WHERE guest_id IS NOT NULL)"
    )
    op.execute(
        "UPDATE guests SET joined_at = (SELECT COALESCE(meetings.started_at, meetings.created_at) "
        "FROM meetings WHERE meetings.id = guests.meeting_id) WHERE meeting_id IS NOT NULL"
    )
    op.execute(
        "UPDATE guests SET connected = (SELECT meetings.guest_connected FROM meetings "
        "WHERE meetings.id = guests.meeting_id AND meetings.state != 'ended') "
        "WHERE meeting_id IS NOT NULL AND EXISTS (SELECT 1 FROM meetings "
        "WHERE meetings.id = guests.meeting_id AND meetings.state != 'ended')"
    )
    op.execute(
        "UPDATE meetings SET video_guest_id = (SELECT MIN(guests.id) FROM guests "
        "WHERE guests.meeting_id = meetings.id AND guests.source != 'snippet')"
    )

    # Timeline labels now name the guest ("お客様 {n} が接続しました"), n
    # being their place in the guest list (joined_at, then id).
    name_guests_in_events(op.get_bind())


def name_guests_in_events(bind) -> None:
    """Give the guest events stored so far their guest's ``n`` (and, where
    it can be told, ``guest_id``): a guest added by number is the one whose
    number the event names; one who joined by link, the link guest whose
    link was used last before the event. A presence event was the
    meeting's ("any guest"), so it names its first guest."""
    events = sa.table(
        'meeting_events',
        sa.column('id', sa.Integer),
        sa.column('payload', sa.JSON),
    )
    places: dict[int, dict[int, int]] = {}
    for guest_id, meeting_id in bind.execute(
        sa.text(
            "SELECT id, meeting_id FROM guests WHERE meeting_id IS NOT NULL "
            "ORDER BY meeting_id, joined_at, id"
        )
    ):
        meeting = places.setdefault(meeting_id, {})
        meeting[guest_id] = len(meeting) + 1
    numbers = {
        (meeting_id, number): guest_id
        for number, guest_id, meeting_id in bind.execute(
            sa.text(
                "SELECT number, guest_id, meeting_id FROM connection_numbers "
                "WHERE meeting_id IS NOT NULL"
            )
        )
    }
    links: dict[int, list] = {}
    for guest_id, meeting_id, used_at in bind.execute(
        sa.text(
            "SELECT guest_id, meeting_id, used_at FROM join_links "
            "WHERE guest_id IS NOT NULL AND used_at IS NOT NULL ORDER BY used_at"
        )
    ):
        links.setdefault(meeting_id, []).append((used_at, guest_id))
    found = bind.execute(
        sa.text(
            "SELECT id, meeting_id, type, created_at, payload FROM meeting_events WHERE type IN "
            "('guest.connected', 'guest.disconnected', 'guest.joined', 'guest.attached')"
        )
    )
    for event_id, meeting_id, kind, created_at, payload in list(found):
        payload = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
        guest_id = None
        if kind == 'guest.attached':
            guest_id = numbers.get((meeting_id, payload.get('number')))
        elif kind == 'guest.joined':
            used = [g for at, g in links.get(meeting_id, []) if at <= created_at]
            guest_id = used[-1] if used else None
        place = places.get(meeting_id, {})
        if guest_id in place:
            payload['guest_id'] = guest_id
        payload['n'] = place.get(guest_id, 1)
        bind.execute(sa.update(events).where(events.c.id == event_id).values(payload=payload))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('video_guest_id')
    with op.batch_alter_table('guests', schema=None) as batch_op:
        batch_op.drop_column('connected')
        batch_op.drop_column('removed_by')
        batch_op.drop_column('removed_at')
        batch_op.drop_column('left_at')
        batch_op.drop_column('joined_at')
        batch_op.drop_column('source')
