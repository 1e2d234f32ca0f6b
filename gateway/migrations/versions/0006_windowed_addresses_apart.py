"""windowed addresses apart

An address with time windows is open only at some hours, which the database cannot tell: the
covering selection index now holds only addresses that are always open, and a small partial
index finds the windowed ones, whose windows selection checks at the moment of sending.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 05:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ALWAYS = "(windows IS NULL OR json_array_length(windows) = 0)"
COLUMNS = ['cell', 'participant_id', 'channel', 'lat', 'lon']


def upgrade() -> None:
    op.drop_index('ix_addresses_cell', 'addresses')
    op.create_index('ix_addresses_cell', 'addresses', COLUMNS,
                    postgresql_where=sa.text(f"alertable AND {ALWAYS}"),
                    sqlite_where=sa.text(f"alertable AND {ALWAYS}"))
    op.create_index('ix_addresses_windowed', 'addresses', ['cell'],
                    postgresql_where=sa.text(f"alertable AND NOT {ALWAYS}"),
                    sqlite_where=sa.text(f"alertable AND NOT {ALWAYS}"))


def downgrade() -> None:
    op.drop_index('ix_addresses_windowed', 'addresses')
    op.drop_index('ix_addresses_cell', 'addresses')
    op.create_index('ix_addresses_cell', 'addresses', COLUMNS,
                    postgresql_where=sa.text('alertable'), sqlite_where=sa.text('alertable'))
