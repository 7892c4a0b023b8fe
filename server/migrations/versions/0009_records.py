"""meeting records and history: guest labels, the meeting's source and site,
the consent record, and the history's search index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place, never by a batch rebuild of meetings on SQLite: with
    # foreign keys on, the rebuild's DROP TABLE deletes the old rows first,
    # and every row referring to a meeting would be cascaded away or cut
    # loose. (So site_id is not a foreign key; see the model.)
    op.add_column('meetings', sa.Column('site_id', sa.Integer(), nullable=True))
    op.add_column('meetings', sa.Column('guest_label', sa.String(length=60), nullable=True))
    op.create_index(op.f('ix_meetings_site_id'), 'meetings', ['site_id'], unique=False)
    op.create_index(op.f('ix_meetings_source'), 'meetings', ['source'], unique=False)

    # A meeting started by a number is a snippet meeting when the number's
    # guest came from a site's snippet; that site is the meeting's site.
    op.execute(
        "UPDATE meetings SET site_id = ("
        " SELECT guests.site_id FROM connection_numbers"
        " JOIN guests ON guests.id = connection_numbers.guest_id"
        " WHERE connection_numbers.meeting_id = meetings.id"
        " AND connection_numbers.number = meetings.number"
        " ORDER BY connection_numbers.id LIMIT 1)"
        " WHERE meetings.source = 'number'"
    )
    op.execute("UPDATE meetings SET source = 'snippet' WHERE source = 'number' AND site_id IS NOT NULL")
    # Any other meeting a snippet guest was attached to gets that site.
    op.execute(
        "UPDATE meetings SET site_id = ("
        " SELECT guests.site_id FROM guests WHERE guests.meeting_id = meetings.id"
        " AND guests.site_id IS NOT NULL ORDER BY guests.id LIMIT 1)"
        " WHERE meetings.site_id IS NULL"
    )

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guest_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('terms', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_consents_guest_id_guests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_consents_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_guest_id'), ['guest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_meeting_id'), ['meeting_id'], unique=False)

    # The history's search (server/meetings/search.py). SQLite: FTS5 tables
    # with the trigram tokenizer; the triggers that fill them are installed
    # (and, should a later table rebuild drop them, put back) by
    # server/storage/search_index.py after every migration. PostgreSQL: GIN
    # indexes on the searched text's bigrams (search_grams), not pg_trgm,
    # whose trigrams are only of what the server's locale calls
    # alphanumeric (under LC_CTYPE=C, no Japanese at all). fastupdate off:
    # a search never scans a pending list of unmerged entries.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(SEARCH_GRAMS)
        for name, table, expression, where in SEARCH_INDEXES:
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin (search_grams({expression})) "
                f"WITH (fastupdate = off){where}"
            )
    else:
        op.execute("CREATE VIRTUAL TABLE search_memos USING fts5(body, tokenize='trigram')")
        op.execute(
            "CREATE VIRTUAL TABLE search_captures USING fts5(body, meeting_id UNINDEXED, tokenize='trigram')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE search_pages USING fts5(body, meeting_id UNINDEXED, tokenize='trigram')"
        )


# The folded (ASCII letters in lower case, whatever the locale: COLLATE
# "C") text's pairs of adjacent characters. Written out here, not imported:
# a migration must not change when the code does. The search module's
# queries use the same expressions (server/meetings/search.py).
SEARCH_GRAMS = """
CREATE FUNCTION search_grams(body text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    folded text := lower(body COLLATE "C");
    grams text[] := '{}';
BEGIN
    FOR i IN 1 .. length(folded) - 1 LOOP
        grams := grams || substr(folded, i, 2);
    END LOOP;
    RETURN grams;
END
$$
"""
SEARCH_INDEXES = (
    ('search_memos', 'meeting_memos', 'text', ''),
    ('search_captures', 'captures', "url || E'\\n' || title", ''),
    (
        'search_pages',
        'meeting_events',
        "coalesce(payload->>'url', '') || E'\\n' || coalesce(payload->>'title', '')",
        " WHERE type = 'page.visited'",
    ),
    ('search_labels', 'meetings', 'guest_label', ''),
)

SQLITE_TRIGGERS = (
    'search_memos_insert', 'search_memos_update', 'search_memos_delete',
    'search_captures_insert', 'search_captures_update', 'search_captures_delete',
    'search_pages_insert', 'search_pages_update', 'search_pages_delete',
)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, *_ in SEARCH_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
        op.execute('DROP FUNCTION IF EXISTS search_grams(text)')
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
        for table in ('search_pages', 'search_captures', 'search_memos'):
            op.execute(f'DROP TABLE IF EXISTS {table}')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_consents_guest_id'))
    op.drop_table('consents')

    op.execute("UPDATE meetings SET source = 'number' WHERE source = 'snippet'")
    op.drop_index(op.f('ix_meetings_source'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_site_id'), table_name='meetings')
    # SQLite (3.35+) drops a column in place, with no rebuild.
    op.execute('ALTER TABLE meetings DROP COLUMN guest_label')
    op.execute('ALTER TABLE meetings DROP COLUMN site_id')
