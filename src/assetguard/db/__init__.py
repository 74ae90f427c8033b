"""Engine and session factory, shared metadata and Alembic migrations.

Each domain declares its own tables on :data:`assetguard.db.base.metadata` and ships its own
migration branch in ``src/assetguard/<domain>/migrations/`` (branch label = domain name).
"""
