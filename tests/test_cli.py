"""The `burgernet` command's maintenance subcommands, as an operator of the system runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select

from gateway.auth import check_password, token_hash
from gateway.models import Operator, Participant

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
