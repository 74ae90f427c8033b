"""The stored daily cost aggregates: atomic replacement per billing period, and reads.

Readers that need filtering (budgets, the console) load a window of ``cost_daily`` once into
DuckDB (:meth:`CostStore.window`) and run compiled filters there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from sqlalchemy import and_, delete, func, insert, or_, select

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.cost.mapping import GROUP_KEYS
from assetguard.cost.tables import cost_daily, cost_ingestion

if TYPE_CHECKING:
    from collections.abc import Callable

    from assetguard.runtime.platform import Platform

WINDOW_COLUMNS = ("day", "account_id", "service_name", "service_category", "region", "resource_id",
                  "charge_category", "tags", "currency", "billed_cost", "effective_cost")


WINDOW_SCHEMA = pa.schema([("day", pa.date32())] + [(n, pa.string()) for n in WINDOW_COLUMNS[1:9]]
                          + [("billed_cost", pa.float64()), ("effective_cost", pa.float64())])


def _batch(rows: Sequence[Any]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    days = pa.array(columns[0])
    if not pa.types.is_date32(days.type):
        days = days.cast(pa.date32())   # SQLite hands back ISO text
    arrays = [days] + [pa.array(c, type=pa.string()) for c in columns[1:9]] + [
        pa.array(c, type=pa.float64()) for c in columns[9:]]
    return pa.RecordBatch.from_arrays(arrays, schema=WINDOW_SCHEMA)


@dataclass(frozen=True)
class PeriodKey:
    """The unit an ingest replaces: one provider billing account's billing period."""

    provider: str
    billing_account_id: str
    billing_period_start: date


class CostStore:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def replace_periods(self, keys: list[PeriodKey], batches: Iterable[list[tuple[Any, ...]]],
                        periods: list[dict[str, Any]], *, source: str, fmt: str, actor: Principal,
                        progress: Callable[[str, float], None] | None = None, total: int = 0) -> int:
        """Delete what is stored for ``keys`` and insert the new aggregates, in one transaction."""
        written = 0
        with self.platform.db.begin() as conn:
            before = self._period_totals(conn, keys)
            for key_chunk in _chunks(keys, 200):
                cond = or_(*[and_(cost_daily.c.provider == k.provider,
                                  cost_daily.c.billing_account_id == k.billing_account_id,
                                  cost_daily.c.billing_period_start == k.billing_period_start) for k in key_chunk])
                conn.execute(delete(cost_daily).where(cond))
                icond = or_(*[and_(cost_ingestion.c.provider == k.provider,
                                   cost_ingestion.c.billing_account_id == k.billing_account_id,
                                   cost_ingestion.c.billing_period_start == k.billing_period_start)
                              for k in key_chunk])
                conn.execute(delete(cost_ingestion).where(icond))
            names = (*GROUP_KEYS, "billed_cost", "effective_cost", "row_count")
            sqlite = conn.dialect.name == "sqlite"
            # Straight to the driver's executemany: this is the hot path of a 10-million-row ingest.
            mark = "?" if sqlite else "%s"
            sql = f"INSERT INTO cost_daily ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
            for batch in batches:
                if sqlite:  # SQLAlchemy's SQLite Date is ISO text; do the same without its per-value hooks
                    batch = [(r[0], r[1], r[2].isoformat(), r[3].isoformat(), *r[4:]) for r in batch]
                conn.exec_driver_sql(sql, batch)
                written += len(batch)
                if progress is not None and total:
                    progress("store", min(written / total, 1.0))
            now = utcnow()
            for p in periods:
                conn.execute(insert(cost_ingestion).values(
                    provider=p["provider"], billing_account_id=p["billingAccountId"],
                    billing_period_start=date.fromisoformat(p["billingPeriodStart"]), source=source[:1024],
                    format=fmt, rows_read=p["rowsRead"], rows_stored=p["rowsStored"], billed_cost=p["billedCost"],
                    currency=p["currency"], ingested_at=now))
            self.platform.audit.record(conn, actor, "cost.ingest", f"cost/{fmt}/{source}"[:1024],
                                       before=before or None, after={"periods": periods})
        return written

    @staticmethod
    def _period_totals(conn: Any, keys: list[PeriodKey]) -> list[dict[str, Any]]:
        out = []
        for k in keys:
            row = conn.execute(select(cost_ingestion).where(
                cost_ingestion.c.provider == k.provider, cost_ingestion.c.billing_account_id == k.billing_account_id,
                cost_ingestion.c.billing_period_start == k.billing_period_start)).first()
            if row is not None:
                out.append({"provider": row.provider, "billingAccountId": row.billing_account_id,
                            "billingPeriodStart": row.billing_period_start.isoformat(), "source": row.source,
                            "billedCost": row.billed_cost})
        return out

    def last_day(self) -> date | None:
        with self.platform.db.connect() as conn:
            day: date | None = conn.execute(select(func.max(cost_daily.c.day))).scalar()
            return day

    def ingestions(self) -> list[dict[str, Any]]:
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(cost_ingestion).order_by(cost_ingestion.c.billing_period_start.desc()))
            return [dict(r._mapping) for r in rows]

    def window(self, start: date, end: date) -> pa.Table:
        """``cost_daily`` rows with ``start <= day < end`` as an Arrow table (for DuckDB).

        Rows come through the DB-API cursor in chunks and are transposed into columns: no ORM rows,
        no per-value type processing (this is the fixed cost of every budget evaluation).
        """
        cols = [cost_daily.c[name] for name in WINDOW_COLUMNS]
        stmt = select(*cols).where(cost_daily.c.day >= start, cost_daily.c.day < end)
        chunks: list[pa.RecordBatch] = []
        with self.platform.db.connect() as conn:
            compiled = stmt.compile(dialect=conn.dialect)
            params = compiled.construct_params()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            try:
                positional = getattr(compiled, "positiontup", None)
                args: Any = tuple(params[k] for k in positional) if positional else params
                cursor.execute(str(compiled), args)
                while True:
                    rows = cursor.fetchmany(50000)
                    if not rows:
                        break
                    chunks.append(_batch(rows))
            finally:
                cursor.close()
        if not chunks:
            return WINDOW_SCHEMA.empty_table()
        return pa.Table.from_batches(chunks, schema=WINDOW_SCHEMA)

    def attach(self, con: duckdb.DuckDBPyConnection, start: date, end: date, name: str = "daily") -> None:
        """Register the window as DuckDB table ``name``."""
        table = self.window(start, end)
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")


def _chunks(items: list[PeriodKey], size: int) -> Iterable[list[PeriodKey]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
