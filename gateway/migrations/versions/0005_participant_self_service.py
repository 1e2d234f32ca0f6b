"""participant self-service: postcodes, windows and labels on addresses; registrations

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import gateway.models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postcode', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('house_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('house_addition', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('windows', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_addresses_postcode'), ['postcode'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('expires_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('verified_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_registrations_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_phone'), ['phone'], unique=False)


def downgrade() -> None:
    op.drop_table('registrations')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addresses_postcode'))
        batch_op.drop_column('windows')
        batch_op.drop_column('house_addition')
        batch_op.drop_column('house_number')
        batch_op.drop_column('postcode')
