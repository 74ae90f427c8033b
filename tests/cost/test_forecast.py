from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from bench.forecast.backtest import backtest, generate

from assetguard.cost.forecast import MIN_HISTORY_DAYS, clip_spikes, forecast_total, remove_month_start_charges


def test_too_little_history_says_so() -> None:
    values = np.full(MIN_HISTORY_DAYS - 1, 10.0)
    result = forecast_total(values, date(2026, 9, 1), observed_end=date(2026, 9, 13), period_start=date(2026, 9, 1),
                            period_end=date(2026, 10, 1))
    assert result.forecast is None and result.reason == "too little history: 13 day(s), need 14"


def test_complete_period_is_the_actual() -> None:
    values = np.arange(40, dtype=float)
    result = forecast_total(values, date(2026, 8, 22), observed_end=date(2026, 9, 30), period_start=date(2026, 9, 1),
                            period_end=date(2026, 10, 1))
    assert result.forecast is not None
    assert result.forecast.mean == result.forecast.lower == result.forecast.upper == float(values[10:].sum())


def test_month_start_charges_are_found_and_removed() -> None:
    days = pd.date_range("2026-01-01", periods=120, freq="D")
    values = np.full(120, 50.0) + np.where(days.day == 1, 400.0, 0.0)
    cleaned, charge = remove_month_start_charges(values, days)
    assert charge == 400.0 and np.allclose(cleaned, 50.0)
    # A single day-1 spike is not a recurring charge.
    once = np.full(120, 50.0)
    once[31] += 400.0
    assert remove_month_start_charges(once, days)[1] == 0.0


def test_spikes_are_clipped() -> None:
    values = np.full(60, 100.0) + np.tile([0.0, 5.0, -5.0], 20)
    values[30] = 900.0
    assert clip_spikes(values)[30] < 150.0


def test_forecast_beats_run_rate_at_day_14_with_an_interval() -> None:
    start = date(2025, 1, 1)
    series = generate(430, seed=3, start=start)
    report = backtest(series[:200], start)    # three months back-tested
    day14 = report["by_day"][14]              # type: ignore[index]
    assert day14["mape_model"] < 0.7 * day14["mape_baseline"]
    observed_end = start + timedelta(days=199)
    result = forecast_total(series[:200], start, observed_end=observed_end, period_start=date(2025, 7, 1),
                            period_end=date(2025, 8, 1))
    assert result.forecast is not None
    assert result.forecast.lower < result.forecast.mean < result.forecast.upper


def test_stale_data_gives_no_forecast() -> None:
    values = np.full(60, 10.0)
    result = forecast_total(values, date(2024, 8, 1), observed_end=date(2024, 9, 29), period_start=date(2026, 11, 1),
                            period_end=date(2026, 12, 1))
    assert result.forecast is None and result.reason == "no cost data since 2024-09-29"
