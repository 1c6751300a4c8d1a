"""Alembic migrations of the store, applied at start by :meth:`sync.store.Store.open`."""
