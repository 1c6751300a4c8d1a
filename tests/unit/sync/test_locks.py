"""The tenant lock holds across processes on SQLite (a file lock) and on PostgreSQL (an advisory lock)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sync.store import Store


def test_one_tenant_one_holder_across_store_handles(store: Store, tmp_path: Path) -> None:
    other = Store(store.engine)            # a second handle, as a second process would have
    with store.tenant_lock("acme") as first:
        assert first
        with other.tenant_lock("acme") as second:
            assert not second
        with other.tenant_lock("globex") as unrelated:
            assert unrelated
    with other.tenant_lock("acme") as again:
        assert again


def test_sqlite_lock_holds_against_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crmsync.db"
    store = Store.open(url)
    probe = ("import sys; from sync.store import Store; s = Store.open(sys.argv[1])\n"
             "with s.tenant_lock('acme') as got: print('got' if got else 'held')")
    try:
        with store.tenant_lock("acme") as got:
            assert got
            held = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=60)
        free = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=60)
    finally:
        store.close()
    assert held.stdout.strip() == "held", held.stderr
    assert free.stdout.strip() == "got", free.stderr


def test_a_database_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    import pytest
    import sqlalchemy as sa

    from sync.store import StoreError
    url = f"sqlite:///{tmp_path}/crmsync.db"
    store = Store.open(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(StoreError, match="written by a newer version"):
        Store.open(url)
