"""several guests per meeting: each guest's source and state, the video guest

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

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

    # Timeline labels now name the guest ("お客様 {n} が接続しました"); the
    # events stored so far were all about a meeting's one guest.
    named = "('guest.connected', 'guest.disconnected', 'guest.joined', 'guest.attached')"
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "UPDATE meeting_events SET payload = CAST(CAST(payload AS jsonb) || "
            "CAST('{\"n\": 1}' AS jsonb) AS json) "
            f"WHERE type IN {named}"
        )
    else:
        op.execute(
            "UPDATE meeting_events SET payload = json_set(payload, '$.n', 1) "
            f"WHERE type IN {named}"
        )


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
