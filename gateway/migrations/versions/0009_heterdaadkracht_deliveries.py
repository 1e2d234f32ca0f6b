"""Heterdaadkracht: action messages to neighbourhood-group administrators

Deliveries get the group they are for and room for the longer group purposes (group_alert,
group_alert_sms, ...); actions get the switch that says whether groups are reached.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('group_id', sa.Integer(), nullable=True))
    op.add_column('actions', sa.Column('groups', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    # SQLite does not enforce a VARCHAR's length: only PostgreSQL needs the wider column (and
    # a batch copy of a large deliveries table on SQLite would buy nothing).
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('deliveries', 'purpose', type_=sa.String(length=20),
                        existing_type=sa.String(length=10), existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE purpose LIKE 'group%'")
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('deliveries', 'purpose', type_=sa.String(length=10),
                        existing_type=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('actions') as batch_op:
        batch_op.drop_column('groups')
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('group_id')
