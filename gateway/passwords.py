"""Password checks run in a helper process at low priority. argon2 is slow on purpose (about
0.1 s on every core it is given); in a web thread it would take the CPU from Twilio's webhooks,
which must answer within 15 s whatever a login flood does. The operating system now gives the
webhooks the CPU first."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

NICENESS = 15
TIMEOUT_SECONDS = 10

_hasher = PasswordHasher()
_pool: ProcessPoolExecutor | None = None
_pool_pid: int | None = None
_lock = threading.Lock()


def _lower_priority() -> None:
    os.nice(NICENESS)


def _verify(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        _hasher.hash(password)  # same time spent for unknown users: no username probing
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _executor() -> ProcessPoolExecutor:
    """One helper process per web process, made on first use (after gunicorn forked us)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_lower_priority)
            _pool_pid = os.getpid()
        return _pool


def verify(password_hash: str | None, password: str) -> bool:
    return _executor().submit(_verify, password_hash, password).result(TIMEOUT_SECONDS)


def hash_password(password: str) -> str:
    return _hasher.hash(password)
