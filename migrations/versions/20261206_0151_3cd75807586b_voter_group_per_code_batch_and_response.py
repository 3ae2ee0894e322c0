"""voter group per code batch and response

Revision ID: 3cd75807586b
Revises: 225e5b133457
Create Date: 2026-12-06 01:51:00

A code batch may name a voter group (测评主体) overriding its survey's, so one survey
collects from several groups; each response keeps its group. Responses stored before
this belong to their survey's group, which the upgrade copies onto them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3cd75807586b'
down_revision = '225e5b133457'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_code_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voter_group', sa.String(length=32), nullable=True))

    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voter_group', sa.String(length=32), server_default='public', nullable=False))
    op.execute(
        "UPDATE survey_responses SET voter_group = "
        "(SELECT surveys.voter_group FROM surveys WHERE surveys.id = survey_responses.survey_id)"
    )


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_column('voter_group')

    with op.batch_alter_table('survey_code_batches', schema=None) as batch_op:
        batch_op.drop_column('voter_group')
