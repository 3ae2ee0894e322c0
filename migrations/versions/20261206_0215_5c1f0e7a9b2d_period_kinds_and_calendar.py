"""period kinds and calendar

Revision ID: 5c1f0e7a9b2d
Revises: 3cd75807586b
Create Date: 2026-12-06 02:15:00

A period gets a kind (month, quarter, half_year, annual, special, term), start and end
dates and a parent (a quarter under its year, issue 15). Periods stored before this were
annual: they become ``annual`` over their year, 1 January to 31 December.
"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1f0e7a9b2d'
down_revision = '3cd75807586b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='annual', nullable=False))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_period_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_period_parent_id_period'), 'period', ['parent_id'], ['id'])
    connection = op.get_bind()
    period = sa.table('period', sa.column('id', sa.Integer), sa.column('year', sa.Integer),
                      sa.column('starts_on', sa.Date), sa.column('ends_on', sa.Date))
    for period_id, year in connection.execute(sa.select(period.c.id, period.c.year)).all():
        connection.execute(
            period.update().where(period.c.id == period_id).values(
                starts_on=date(year, 1, 1), ends_on=date(year, 12, 31)
            )
        )
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.alter_column('starts_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('ends_on', existing_type=sa.Date(), nullable=False)


def downgrade():
    with op.batch_alter_table('period', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_period_parent_id_period'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_period_parent_id'))
        batch_op.drop_column('parent_id')
        batch_op.drop_column('ends_on')
        batch_op.drop_column('starts_on')
        batch_op.drop_column('kind')
