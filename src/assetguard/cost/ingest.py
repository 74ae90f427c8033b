"""Ingest billing exports (FOCUS 1.0–1.2, AWS CUR 2.0; CSV, CSV.gz, Parquet) through DuckDB.

DuckDB reads, validates and aggregates the file to one row per day, account, service, region,
resource, charge category and tag set in a single pass; only the aggregates reach Python, in
batches, and are written in ONE platform transaction that replaces the billing periods the file
covers (provider × billing account × billing period), so re-ingesting never double-counts and a bad
file changes nothing::

    summary = CostIngestor(platform).ingest(Path("focus.parquet"))
    summary.periods        # [{'provider': 'AWS', 'billingAccountId': '123', 'billingPeriodStart': '2026-09-01', ...}]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.errors import ValidationError
from assetguard.core.textfile import check_utf8
from assetguard.cost.mapping import CURRENCY_COLUMN, GROUP_KEYS, MAPPINGS, SourceMapping, lit
from assetguard.cost.store import CostStore, PeriodKey

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

Progress = Callable[[str, float], None]
BATCH = 5000


@dataclass
class IngestSummary:
    source: str
    format: str
    rows_read: int = 0
    rows_stored: int = 0
    periods: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def duckdb_connection(platform: Platform | None = None, *, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with bounded memory (spilling to ``data_dir/duckdb-tmp``) and UTC time."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    limit = memory_limit or (platform.settings.cost.memory_limit if platform is not None else "1GB")
    con.execute(f"SET memory_limit = {lit(limit)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if platform is not None:
        tmp = platform.settings.data_dir / "duckdb-tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {lit(str(tmp))}")
    return con


def reader_sql(path: Path) -> tuple[str, str]:
    """The DuckDB table function reading ``path`` and a kind (``csv`` or ``parquet``)."""
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".parq"):
        return f"read_parquet({lit(str(path))})", "parquet"
    if name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".csv.zst"):
        # Every column as text: types are checked per row below so errors can name row and column.
        return (f"read_csv({lit(str(path))}, header = true, all_varchar = true, nullstr = ['NULL', ''], "
                f"quote = '\"', escape = '\"', strict_mode = false)"), "csv"
    raise ValidationError("unsupported file type; expected .csv, .csv.gz or .parquet", where=str(path))


class CostIngestor:
    """Validate a billing export and replace the billing periods it covers."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.store = CostStore(platform)

    def ingest(self, path: Path, fmt: str | None = None, *, actor: Principal = SYSTEM,
               progress: Progress | None = None, evaluate: bool = True) -> IngestSummary:
        started = time.monotonic()
        if not path.exists():
            raise ValidationError("file does not exist", where=str(path))
        con = duckdb_connection(self.platform)
        try:
            summary = self._aggregate(con, path, fmt, progress)
            keys = [PeriodKey(p["provider"], p["billingAccountId"], date.fromisoformat(p["billingPeriodStart"]))
                    for p in summary.periods]
            cursor = con.execute(f"SELECT {', '.join(GROUP_KEYS)}, billed_cost, effective_cost, n FROM agg")
            summary.rows_stored = self.store.replace_periods(
                keys, _batches(cursor), summary.periods, source=str(path), fmt=summary.format, actor=actor,
                progress=progress, total=summary.rows_stored)
        finally:
            con.close()
        summary.seconds = time.monotonic() - started
        if evaluate:
            from assetguard.cost.evaluate import BudgetEvaluator

            last_day = self.store.last_day()
            BudgetEvaluator(self.platform).evaluate_on_ingest(last_day)
        return summary

    def _aggregate(self, con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None,
                   progress: Progress | None) -> IngestSummary:
        source, kind = reader_sql(path)
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except duckdb.Error as exc:
            raise _read_error(exc, path) from None
        columns = {str(row[0]): str(row[1]) for row in described}
        mapping = self._mapping(columns, fmt, path)
        missing = mapping.missing(columns)
        if missing:
            where = f"{path}:1" if kind == "csv" else str(path)
            label = "FOCUS mandatory" if mapping.name == "focus" else "CUR 2.0 required"
            raise ValidationError(f"missing {label} column(s): {', '.join(missing)}", where=where)
        compiled = mapping.compile(columns)
        sql = (f"CREATE TEMP TABLE agg AS SELECT {', '.join(GROUP_KEYS)}, sum(billed_cost) AS billed_cost, "
               f"sum(effective_cost) AS effective_cost, count(*) AS n, count(problem) AS problems "
               f"FROM ({compiled.select(source)}) GROUP BY ALL")
        _run_with_progress(con, sql, progress, path)
        problems, rows = con.execute("SELECT coalesce(sum(problems), 0), coalesce(sum(n), 0) FROM agg").fetchone() \
            or (0, 0)
        if problems:
            row, message = self._first_problem(con, compiled.select(source))
            raise ValidationError(message, where=_where(path, kind, row))
        currencies = [r[0] for r in con.execute("SELECT DISTINCT currency FROM agg ORDER BY 1").fetchall()]
        if len(currencies) > 1:
            raise self._mixed_currency(con, source, compiled.currency, path, kind, mapping.name)
        periods = con.execute(
            "SELECT provider, billing_account_id, billing_period_start, sum(n), count(*), sum(billed_cost), "
            "min(currency), min(day), max(day) FROM agg GROUP BY ALL ORDER BY 1, 2, 3").fetchall()
        summary = IngestSummary(source=str(path), format=mapping.name, rows_read=int(rows))
        for prov, account, period, n, groups, billed, currency, first, last in periods:
            summary.periods.append({"provider": prov, "billingAccountId": account,
                                    "billingPeriodStart": period.isoformat(), "rowsRead": int(n),
                                    "rowsStored": int(groups), "billedCost": round(float(billed or 0), 6),
                                    "currency": currency, "firstDay": first.isoformat(),
                                    "lastDay": last.isoformat()})
            summary.rows_stored += int(groups)
        return summary

    @staticmethod
    def _mapping(columns: dict[str, str], fmt: str | None, path: Path) -> SourceMapping:
        if fmt is not None:
            if fmt not in MAPPINGS:
                raise ValidationError(f"unknown format {fmt!r}; expected focus or cur")
            return MAPPINGS[fmt]
        if "BilledCost" in columns or "ChargePeriodStart" in columns:
            return MAPPINGS["focus"]
        if "line_item_unblended_cost" in columns or "line_item_usage_start_date" in columns:
            return MAPPINGS["cur"]
        raise ValidationError("neither a FOCUS nor a CUR 2.0 export (no BilledCost or line_item_unblended_cost "
                              "column); pass --format", where=str(path))

    @staticmethod
    def _first_problem(con: duckdb.DuckDBPyConnection, select: str) -> tuple[int, str]:
        # Error path only: one ordered, single-threaded scan to recover the row number.
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = true")
        found = con.execute(f"SELECT rn, problem FROM (SELECT row_number() OVER () AS rn, problem "
                            f"FROM ({select})) WHERE problem IS NOT NULL ORDER BY rn LIMIT 1").fetchone()
        assert found is not None
        return int(found[0]), str(found[1])

    @staticmethod
    def _mixed_currency(con: duckdb.DuckDBPyConnection, source: str, currency: str, path: Path, kind: str,
                        fmt: str) -> ValidationError:
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = true")
        rows = con.execute(f"WITH t AS (SELECT row_number() OVER () AS rn, {currency} AS cur FROM {source}), "
                           f"f AS (SELECT cur FROM t ORDER BY rn LIMIT 1) "
                           f"SELECT (SELECT cur FROM f), rn, cur FROM t WHERE cur <> (SELECT cur FROM f) "
                           f"ORDER BY rn LIMIT 1").fetchone()
        assert rows is not None
        first, row, other = rows
        column = CURRENCY_COLUMN[fmt]
        return ValidationError(f"{column}: mixed currencies in one file ({other} after {first}); "
                               "ingest one currency per file", where=_where(path, kind, int(row)))


def _where(path: Path, kind: str, row: int) -> str:
    # CSV: the file line (header is line 1); Parquet: the 1-based row number.
    return f"{path}:{row + 1}" if kind == "csv" else f"{path} row {row}"


def _read_error(exc: Exception, path: Path) -> ValidationError:
    """DuckDB's reason in one line; for a CSV that is not UTF-8, the offending byte's offset instead."""
    name = path.name.lower()
    if name.endswith(".csv") or name.endswith(".csv.gz"):
        import gzip

        try:
            with (gzip.open(path, "rb") if name.endswith(".gz") else path.open("rb")) as fh:
                check_utf8(fh, str(path), "CSV file")
        except (OSError, EOFError):
            pass  # not readable or not gzip: DuckDB's own reason below says so
    return ValidationError(f"cannot read file: {_first_line(exc)}", where=str(path))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _run_with_progress(con: duckdb.DuckDBPyConnection, sql: str, progress: Progress | None, path: Path) -> None:
    error: list[BaseException] = []

    def run() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
            error.append(exc)

    worker = threading.Thread(target=run, name="cost-ingest", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        if progress is not None:
            try:
                pct = con.query_progress()
            except duckdb.Error:
                pct = -1
            if pct is not None and pct >= 0:
                progress("read", min(pct, 100.0) / 100.0)
    if error:
        exc = error[0]
        if isinstance(exc, duckdb.Error):
            raise _read_error(exc, path) from None
        raise exc
    if progress is not None:
        progress("read", 1.0)


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterable[list[tuple[Any, ...]]]:
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            return
        yield rows
