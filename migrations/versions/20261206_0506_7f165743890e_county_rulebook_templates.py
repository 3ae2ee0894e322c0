"""county rulebook templates

Revision ID: 7f165743890e
Revises: daeab40bda5f
Create Date: 2026-12-06 05:06:33.439738

A county's rulebook templates (issue 16) and their versions; a township's rulebook
names the template it adopted inside its own document, so no column is added there.

"""
from alembic import op
import sqlalchemy as sa

import assessment.app.db


# revision identifiers, used by Alembic.
revision = '7f165743890e'
down_revision = 'daeab40bda5f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rulebook_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('created_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rulebook_template_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rulebook_template')),
    sa.UniqueConstraint('unit_id', 'code', name=op.f('uq_rulebook_template_unit_id_code'))
    )
    with op.batch_alter_table('rulebook_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rulebook_template_unit_id'), ['unit_id'], unique=False)

    op.create_table('rulebook_template_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.Column('published_at', assessment.app.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name=op.f('ck_rulebook_template_version_published_at_set')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_rulebook_template_version_status_known')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_rulebook_template_version_number_positive')),
    sa.ForeignKeyConstraint(['template_id'], ['rulebook_template.id'], name=op.f('fk_rulebook_template_version_template_id_rulebook_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rulebook_template_version')),
    sa.UniqueConstraint('template_id', 'number', name=op.f('uq_rulebook_template_version_template_id_number'))
    )
    with op.batch_alter_table('rulebook_template_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rulebook_template_version_template_id'), ['template_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rulebook_template_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rulebook_template_version_template_id'))

    op.drop_table('rulebook_template_version')
    with op.batch_alter_table('rulebook_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rulebook_template_unit_id'))

    op.drop_table('rulebook_template')
