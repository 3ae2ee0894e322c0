"""conversations and work reports

Revision ID: 3693ec26d07b
Revises: 0ce86bb60e10
Create Date: 2026-12-06 01:52:25.372215

The team's conversations with a cadre (谈话, team and organisation department only)
and a cadre's work report (述职) for a period, as text or a PDF stored as evidence.

"""
from alembic import op
import sqlalchemy as sa

import assessment.app.db


# revision identifiers, used by Alembic.
revision = '3693ec26d07b'
down_revision = '0ce86bb60e10'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.Text(), nullable=False),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], name=op.f('fk_conversation_cadre_id_cadre')),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_conversation_created_by_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('work_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', assessment.app.db.UTCDateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("text <> '' OR evidence_id IS NOT NULL", name=op.f('ck_work_report_text_or_file')),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadre.id'], name=op.f('fk_work_report_cadre_id_cadre')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_work_report_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['period_id'], ['period.id'], name=op.f('fk_work_report_period_id_period')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['account.id'], name=op.f('fk_work_report_submitted_by_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_report')),
    sa.UniqueConstraint('period_id', 'cadre_id', name=op.f('uq_work_report_period_id_cadre_id'))
    )
    with op.batch_alter_table('work_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_report_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_report_period_id'), ['period_id'], unique=False)




def downgrade():

    with op.batch_alter_table('work_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_report_period_id'))
        batch_op.drop_index(batch_op.f('ix_work_report_cadre_id'))

    op.drop_table('work_report')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_cadre_id'))

    op.drop_table('conversation')

