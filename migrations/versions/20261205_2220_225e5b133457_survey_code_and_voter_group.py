"""survey code and voter group

Revision ID: 225e5b133457
Revises: da0b2327891d
Create Date: 2026-12-05 22:20:43.411420

A survey gets a stable code (named by a rulebook indicator's ``sources``) and the voter
group (测评主体) that answers it. Surveys stored before this were residents' surveys,
so they belong to the group ``public`` (群众/服务对象).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '225e5b133457'
down_revision = 'da0b2327891d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('voter_group', sa.String(length=32), server_default='public', nullable=False))
        batch_op.add_column(sa.Column('voter_group_name', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_surveys_period_id_code'), ['period_id', 'code'])


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_surveys_period_id_code'), type_='unique')
        batch_op.drop_column('voter_group_name')
        batch_op.drop_column('voter_group')
        batch_op.drop_column('code')
