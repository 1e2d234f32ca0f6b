"""The `burgernet` command's maintenance subcommands, as an operator of the system runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select

from gateway import grid
from gateway.auth import check_password, token_hash
from gateway.models import Address, Operator, Participant

ROOT = Path(__file__).resolve().parent.parent


def burgernet(*args: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_migrate_seed_and_create_operator(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    env = {**os.environ, "DATABASE_URL": url}
    assert "up to date" in burgernet("migrate", env=env)
    assert "added 25 demo participants" in burgernet("seed", "--count", "25", env=env)
    assert "nothing added" in burgernet("seed", env=env)  # seeding twice adds nothing
    out = burgernet("create-operator", "jansen", "--password", "s3cret-enough", env=env)
    token = re.search(r"API token \(shown once\): (\S+)", out).group(1)

    engine = create_engine(url)
    from sqlalchemy.orm import Session
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == 25
        operator = db.scalar(select(Operator).where(Operator.username == "jansen"))
        assert operator.token_hash == token_hash(token) and token not in operator.password_hash
        assert check_password(db, "jansen", "s3cret-enough") is not None
        assert check_password(db, "jansen", "wrong") is None
    engine.dispose()


def test_national_seed_spreads_participants_over_the_country(tmp_path):
    url = f"sqlite:///{tmp_path}/national.db"
    env = {**os.environ, "DATABASE_URL": url}
    burgernet("migrate", env=env)
    assert "added 4000 demo participants" in burgernet("seed", "--count", "4000", "--spread", "national",
                                                       env=env)
    assert "nothing added" in burgernet("seed", "--count", "10", "--spread", "national", env=env)
    engine = create_engine(url)
    with engine.connect() as db:
        people, verified = db.execute(select(func.count(), func.count(Participant.verified_at))).one()
        rows = db.execute(select(Address.lat, Address.lon, Address.cell, Address.alertable)).all()
    engine.dispose()
    assert people == verified == 4000
    assert 1.3 < len(rows) / people < 1.5  # about 40% with a work address
    assert all(r.alertable and r.cell != grid.OUTSIDE for r in rows)
    lats = sorted(r.lat for r in rows)
    assert 50.7 < lats[0] and lats[-1] < 53.7  # inside the country's box
    near_amsterdam = sum(1 for r in rows if abs(r.lat - 52.37) < 0.05 and abs(r.lon - 4.895) < 0.08)
    assert near_amsterdam > len(rows) * 0.05  # clustered: a uniform spread would put ~0.2% there
