"""shared storage

Revision ID: 0ce86bb60e10
Revises: 5c1f0e7a9b2d
Create Date: 2026-12-06 01:54:16.520022

Several app servers on one database (issue 18): uploaded files and built reports move
from instance/ into content-addressed blobs, a finished report build lists its files,
and the fingerprints of the shared secrets are recorded. Files already under
instance/uploads/ are copied in by `flask files import` (docs/deploy.md); the migration
itself reads no folder, since it cannot know which instance folder the files are in.
"""
import sqlalchemy as sa
from alembic import op

import assessment.app.db

# revision identifiers, used by Alembic.
revision = '0ce86bb60e10'
down_revision = '5c1f0e7a9b2d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('secret_fingerprints',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_secret_fingerprints'))
    )
    op.create_table('stored_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_stored_blobs_sha256_hex')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_stored_blobs_size_non_negative')),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_blobs'))
    )
    with op.batch_alter_table('report_builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('files', sa.JSON(), server_default='[]', nullable=False))



def downgrade():
    with op.batch_alter_table('report_builds', schema=None) as batch_op:
        batch_op.drop_column('files')

    op.drop_table('stored_blobs')
    op.drop_table('secret_fingerprints')
