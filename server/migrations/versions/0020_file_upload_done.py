"""file uploads: a finished upload is kept as a marker naming its file

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('file_uploads') as batch:
        batch.add_column(
            sa.Column('state', sa.String(length=9), server_default='receiving', nullable=False)
        )
        batch.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            'fk_file_uploads_file_id_meeting_files',
            'meeting_files',
            ['file_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade() -> None:
    with op.batch_alter_table('file_uploads') as batch:
        batch.drop_constraint('fk_file_uploads_file_id_meeting_files', type_='foreignkey')
        batch.drop_column('file_id')
        batch.drop_column('state')
