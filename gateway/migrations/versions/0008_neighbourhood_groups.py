"""neighbourhood groups, their administrators, sign requests and texts

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import gateway.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('municipality', sa.String(length=80), nullable=False),
    sa.Column('area', sa.JSON(), nullable=True),
    sa.Column('postcodes', sa.JSON(), nullable=True),
    sa.Column('streets', sa.JSON(), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('members_adult', sa.Boolean(), nullable=False),
    sa.Column('one_per_household', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['operators.id'], name=op.f('fk_groups_approved_by_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_municipality'), ['municipality'], unique=False)
        batch_op.create_index(batch_op.f('ix_groups_status'), ['status'], unique=False)

    op.create_table('group_administrators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('publish_contact', sa.Boolean(), nullable=False),
    sa.Column('heterdaadkracht', sa.String(length=10), nullable=False),
    sa.Column('link_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_administrators_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_administrators')),
    sa.UniqueConstraint('group_id', name=op.f('uq_group_administrators_group_id')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_group_administrators_link_hash'))
    )
    with op.batch_alter_table('group_administrators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_administrators_phone'), ['phone'], unique=False)

    op.create_table('group_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=480), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_messages_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_messages'))
    )
    with op.batch_alter_table('group_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_messages_group_id'), ['group_id'], unique=False)

    op.create_table('group_supply_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('signs', sa.Integer(), nullable=False),
    sa.Column('stickers', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_supply_requests_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_supply_requests'))
    )
    with op.batch_alter_table('group_supply_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_supply_requests_group_id'), ['group_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('group_supply_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_supply_requests_group_id'))

    op.drop_table('group_supply_requests')
    with op.batch_alter_table('group_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_messages_group_id'))

    op.drop_table('group_messages')
    with op.batch_alter_table('group_administrators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_administrators_phone'))

    op.drop_table('group_administrators')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_status'))
        batch_op.drop_index(batch_op.f('ix_groups_municipality'))

    op.drop_table('groups')
