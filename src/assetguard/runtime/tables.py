"""Tables of the runtime: the scheduler's leader lease and its record of runs per time slot."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from assetguard.db.base import UTCDateTime, metadata

# One row per lease name. ``token`` (the fencing token) grows by one on every acquisition; a
# leader's writes that matter (claiming a job slot) check it under the row's lock.
scheduler_lease = Table(
    "scheduler_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("token", BigInteger, nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# A scheduled run claims (job, slot) before it starts: the primary key makes a second claim of
# the same slot, by any leader, fail. ``slot`` is floor(epoch seconds / the job's interval).
scheduler_runs = Table(
    "scheduler_runs",
    metadata,
    Column("job", String(128), primary_key=True),
    Column("slot", BigInteger, primary_key=True),
    Column("token", BigInteger, nullable=False),
    Column("holder", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("error", String(1024), nullable=True),
)
Index("ix_scheduler_runs_started_at", scheduler_runs.c.started_at)
