"""Cost: FOCUS/CUR/Cost Explorer ingestion on DuckDB, daily aggregates, budgets, forecasts.

Pipeline::

    file ──DuckDB (validate + aggregate per day)──► cost_daily (platform DB)
    cost_daily ──DuckDB (budget filters)──► actual + forecast ──► Budget Threshold Breached
"""
