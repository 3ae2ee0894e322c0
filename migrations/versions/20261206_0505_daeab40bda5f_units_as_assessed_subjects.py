"""units as assessed subjects

Revision ID: daeab40bda5f
Revises: 3693ec26d07b
Create Date: 2026-12-06 05:05:11.300026

A ``cadre`` row may stand for an assessed unit (``kind = 'unit'`` and the unit it stands
for), and a period says whether it assesses cadres or units (issue 16). Every row stored
before this is a person in a cadre period.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'daeab40bda5f'
down_revision = '3693ec26d07b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cadre', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='person', nullable=False))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_cadre_unit_id'), ['unit_id'])
        batch_op.create_foreign_key(batch_op.f('fk_cadre_unit_id_unit'), 'unit', ['unit_id'], ['id'])
        batch_op.create_check_constraint('kind_known', "kind IN ('person', 'unit')")
        batch_op.create_check_constraint('unit_iff_kind', "(kind = 'unit') = (unit_id IS NOT NULL)")

    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subjects', sa.String(length=8), server_default='cadres', nullable=False))
        batch_op.create_check_constraint('subjects_known', "subjects IN ('cadres', 'units')")


def downgrade():
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_period_subjects_known'), type_='check')
        batch_op.drop_column('subjects')

    with op.batch_alter_table('cadre', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cadre_unit_iff_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_cadre_kind_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_cadre_unit_id_unit'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_cadre_unit_id'), type_='unique')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('kind')
