"""session version and login counter owners

Accounts get a session version (raised by logout, password change and reset, which ends
every older session); login counters name the account they belong to and the client
counter they are linked to, so that an administrator can unlock one account.

Revision ID: 494d42aafea4
Revises: fc94533121b4
Create Date: 2026-12-05 15:33:17.854968

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '494d42aafea4'
down_revision = 'fc94533121b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('linked_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_throttle_counter_owner_hash'), ['owner_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counter_owner_hash'))
        batch_op.drop_column('linked_key')
        batch_op.drop_column('owner_hash')

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
