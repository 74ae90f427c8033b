"""Evaluate 1,000 budgets (distinct filters) over 180 days of stored cost; report the time per phase.

    .venv/bin/python -m bench.cost.budgets [--budgets 1000] [--workdir /tmp/ag-bench-budgets]

Data: 180 days × 600 resources (12 services, 20 accounts, 20 team tags, a quarter untagged) =
108,000 daily rows, ingested from a generated FOCUS Parquet file. Budgets: MONTHLY, each with a
different FilterExpression (service × account × team combinations, some tag-absent) and the
plan's three notifications. The first evaluation fires what is due; the second finds nothing new
(the steady state of the hourly job).
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import date
from pathlib import Path

import duckdb

from assetguard.auth.principal import SYSTEM
from assetguard.core.settings import Settings
from assetguard.cost.budget import BudgetDefinition
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import DETAIL_TYPE, BudgetEvaluator
from assetguard.cost.ingest import CostIngestor
from assetguard.runtime.platform import Platform
from bench.cost.ingest import SERVICES

AS_OF = date(2026, 9, 19)


def generate(path: Path) -> None:
    services = "[" + ", ".join("'" + s + "'" for s in SERVICES) + "]"
    duckdb.sql(f"""COPY (
      SELECT round(1 + ((i * 7919) % 1000) / 200.0 * (1 + (i // 600) / 400.0), 6) AS BilledCost,
        '999999999999' AS BillingAccountId, 'payer' AS BillingAccountName, 'USD' AS BillingCurrency,
        strftime(date_trunc('month', d) + INTERVAL 1 MONTH, '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodEnd,
        strftime(date_trunc('month', d), '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodStart,
        'Usage' AS ChargeCategory, NULL AS ChargeClass, 'usage' AS ChargeDescription,
        strftime(d + INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd,
        strftime(d, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart,
        0.0 AS ContractedCost, round(((i * 7919) % 1000) / 220.0, 6) AS EffectiveCost, 'AWS' AS InvoiceIssuerName,
        0.0 AS ListCost, 'AWS' AS ProviderName, 'AWS' AS PublisherName, 'us-east-1' AS RegionId,
        'r-' || (i % 600) AS ResourceId, 'Compute' AS ServiceCategory, {services}[i % 600 % 12 + 1] AS ServiceName,
        lpad(CAST(i % 600 % 20 AS VARCHAR), 12, '1') AS SubAccountId,
        CASE WHEN i % 600 % 4 = 0 THEN NULL ELSE '{{"team": "t' || (i % 600 % 20) || '"}}' END AS Tags
      FROM (SELECT i, TIMESTAMP '2026-03-23' + to_days(CAST(i // 600 AS INTEGER)) AS d FROM range(600 * 180) t(i))
    ) TO '{path}' (FORMAT parquet)""")


def budgets(n: int) -> list[BudgetDefinition]:
    out = []
    notes = [{"Notification": {"NotificationType": t, "ComparisonOperator": "GREATER_THAN", "Threshold": th,
                               "ThresholdType": "PERCENTAGE"}, "Subscribers": []}
             for t, th in (("ACTUAL", 85), ("ACTUAL", 100), ("FORECASTED", 100))]
    for k in range(n):
        service, account, team = SERVICES[k % 12], f"{k // 12 % 20:>012}".replace(" ", "1"), f"t{k // 240 % 20}"
        parts = [{"Dimensions": {"Key": "SERVICE", "Values": [service]}}]
        if k % 3:
            parts.append({"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}})
        parts.append({"Tags": {"Key": "team", "MatchOptions": ["ABSENT"]}} if k % 7 == 0
                     else {"Tags": {"Key": "team", "Values": [team, f"t{(k + 1) % 20}"]}})
        out.append(BudgetDefinition.model_validate({"Budget": {
            "BudgetName": f"b{k:04d}", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": str(50 + k % 400)},
            "FilterExpression": {"And": parts}}, "NotificationsWithSubscribers": notes}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ag-bench-budgets"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    source = args.workdir / "focus.parquet"
    generate(source)
    platform = Platform.create(Settings(data_dir=args.workdir / "data",
                                        secret_key="bench-secret-key-0123456789"))  # type: ignore[arg-type]
    summary = CostIngestor(platform).ingest(source, evaluate=False)
    BudgetStore(platform).put(budgets(args.budgets), actor=SYSTEM)
    evaluator = BudgetEvaluator(platform)
    defs = BudgetStore(platform).list()
    t0 = time.perf_counter()
    statuses = evaluator.compute(defs, AS_OF)
    compute = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = evaluator.evaluate(as_of=AS_OF)
    first_s = time.perf_counter() - t0
    fired = len(platform.bus.recent(detail_type=DETAIL_TYPE, limit=100000))
    t0 = time.perf_counter()
    evaluator.evaluate(as_of=AS_OF)
    second_s = time.perf_counter() - t0
    again = len(platform.bus.recent(detail_type=DETAIL_TYPE, limit=100000))
    with_forecast = sum(1 for s in statuses if s.forecast is not None)
    print(f"{len(defs)} budgets over {summary.rows_stored:,} daily rows (as of {AS_OF}); "
          f"{with_forecast} forecasts")
    print(f"  compute only (actuals + forecasts): {compute:6.1f} s  ({compute / len(defs) * 1000:.0f} ms/budget)")
    print(f"  first evaluation (fires):           {first_s:6.1f} s  ({fired} notifications fired)")
    print(f"  second evaluation (nothing new):    {second_s:6.1f} s  ({again - fired} fired)")
    assert len(first) == len(defs) and again == fired
    platform.close()


if __name__ == "__main__":
    main()
