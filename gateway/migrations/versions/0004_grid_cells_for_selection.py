"""grid cells for selection

Addresses get a generated grid-cell column (see gateway/grid.py), an `alertable` flag that the
database keeps equal to "its participant is active and verified" (triggers), and one partial
covering index that selection reads without touching either table. The old (lat, lon) index goes:
nothing reads it any more. Deliveries lose three indexes a new row had to enter. On PostgreSQL,
PostGIS tests edge addresses against polygons.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# gateway.grid.CELL_SQL as it was when this ran: a later grid needs a migration of its own.
CELL_SQL = (
    "CASE WHEN lat >= 49.5 AND lat < 54.7 AND lon >= 1.5 AND lon < 8.9 "
    "THEN CAST(floor((lat - 49.5) / 0.002) AS INTEGER) * 2467 "
    "+ CAST(floor((lon - 1.5) / 0.003) AS INTEGER) ELSE -1 END"
)
INDEX_COLUMNS = ['cell', 'participant_id', 'channel', 'lat', 'lon']
ALERTABLE = "active AND verified_at IS NOT NULL"
DELIVERY_INDEXES = [  # name, columns, where, unique
    ('ix_deliveries_waiting', ['batch'], "status IN ('pending', 'retry')", False),
    ('ix_deliveries_sending', ['claimed_at'], "status = 'sending'", False),
    ('uq_deliveries_provider_sid', ['provider_sid'], "provider_sid IS NOT NULL", True),
]

POSTGRES_TRIGGERS = [
    """CREATE FUNCTION address_alertable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      SELECT p.active AND p.verified_at IS NOT NULL INTO NEW.alertable
      FROM participants p WHERE p.id = NEW.participant_id;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER addresses_alertable BEFORE INSERT OR UPDATE OF participant_id ON addresses
    FOR EACH ROW EXECUTE FUNCTION address_alertable()""",
    """CREATE FUNCTION participant_alertable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE addresses SET alertable = (NEW.active AND NEW.verified_at IS NOT NULL)
      WHERE participant_id = NEW.id;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER participants_alertable AFTER UPDATE OF active, verified_at ON participants
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active
                       OR (OLD.verified_at IS NULL) <> (NEW.verified_at IS NULL))
    EXECUTE FUNCTION participant_alertable()""",
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER addresses_alertable AFTER INSERT ON addresses BEGIN
      UPDATE addresses SET alertable = (SELECT p.active AND p.verified_at IS NOT NULL
                                        FROM participants p WHERE p.id = NEW.participant_id)
      WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER addresses_alertable_moved AFTER UPDATE OF participant_id ON addresses BEGIN
      UPDATE addresses SET alertable = (SELECT p.active AND p.verified_at IS NOT NULL
                                        FROM participants p WHERE p.id = NEW.participant_id)
      WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER participants_alertable AFTER UPDATE OF active, verified_at ON participants
    BEGIN
      UPDATE addresses SET alertable = (NEW.active AND NEW.verified_at IS NOT NULL)
      WHERE participant_id = NEW.id;
    END""",
]
DROP = {
    'postgresql': ["DROP TRIGGER IF EXISTS participants_alertable ON participants",
                   "DROP TRIGGER IF EXISTS addresses_alertable ON addresses",
                   "DROP FUNCTION IF EXISTS participant_alertable()",
                   "DROP FUNCTION IF EXISTS address_alertable()"],
    'sqlite': ["DROP TRIGGER IF EXISTS participants_alertable",
               "DROP TRIGGER IF EXISTS addresses_alertable_moved",
               "DROP TRIGGER IF EXISTS addresses_alertable"],
}


def _dialect() -> str:
    return op.get_bind().dialect.name


def _recreate() -> str:
    # SQLite cannot add a stored generated column in place: batch mode rebuilds the table there.
    return 'always' if _dialect() == 'sqlite' else 'auto'


def upgrade() -> None:
    if _dialect() == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with op.batch_alter_table('addresses', recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column('cell', sa.Integer(), sa.Computed(CELL_SQL, persisted=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('alertable', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_index('ix_addresses_lat_lon')
    op.execute("UPDATE addresses SET alertable = (SELECT p.active AND p.verified_at IS NOT NULL "
               "FROM participants p WHERE p.id = addresses.participant_id)")
    for statement in POSTGRES_TRIGGERS if _dialect() == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.create_index('ix_addresses_cell', 'addresses', INDEX_COLUMNS,
                    postgresql_where=sa.text('alertable'), sqlite_where=sa.text('alertable'))
    # The fan-out reads each person's phone from this index alone, in id order.
    op.create_index('ix_participants_alertable', 'participants', ['id', 'phone'],
                    postgresql_where=sa.text(ALERTABLE), sqlite_where=sa.text(ALERTABLE))
    # Fewer indexes for a new delivery to enter: uq_delivery_once starts with action_id, and the
    # status, batch and provider-sid indexes become partial (only rows waiting, sending or with
    # a sid), so a fan-out's inserts touch four indexes, not seven.
    with op.batch_alter_table('deliveries', recreate=_recreate()) as batch_op:
        batch_op.drop_index('ix_deliveries_action_id')
        batch_op.drop_index('ix_deliveries_status')
        batch_op.drop_index('ix_deliveries_batch')
        batch_op.drop_constraint('uq_deliveries_provider_sid', type_='unique')
    for name, columns, where, unique in DELIVERY_INDEXES:
        op.create_index(name, 'deliveries', columns, unique=unique,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade() -> None:
    op.drop_index('ix_participants_alertable', 'participants')
    for name, *_ in DELIVERY_INDEXES:
        op.drop_index(name, 'deliveries')
    with op.batch_alter_table('deliveries', recreate=_recreate()) as batch_op:
        batch_op.create_unique_constraint('uq_deliveries_provider_sid', ['provider_sid'])
        batch_op.create_index('ix_deliveries_batch', ['batch'])
        batch_op.create_index('ix_deliveries_status', ['status'])
        batch_op.create_index('ix_deliveries_action_id', ['action_id'])
    op.drop_index('ix_addresses_cell', 'addresses')
    for statement in DROP[_dialect()]:
        op.execute(statement)
    with op.batch_alter_table('addresses', recreate=_recreate()) as batch_op:
        batch_op.create_index('ix_addresses_lat_lon', ['lat', 'lon'])
        batch_op.drop_column('alertable')
        batch_op.drop_column('cell')
