"""period unit grades period

Revision ID: 8e41c2d7a9f3
Revises: 7f165743890e
Create Date: 2026-12-06 05:10:00

A period may name the final period whose results grade the units (issue 16): a quota
group whose top-grade share depends on the unit's grade reads the grades there.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e41c2d7a9f3'
down_revision = '7f165743890e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_grades_period_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_period_unit_grades_period_id_period'),
            'period',
            ['unit_grades_period_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_period_unit_grades_period_id_period'), type_='foreignkey'
        )
        batch_op.drop_column('unit_grades_period_id')
