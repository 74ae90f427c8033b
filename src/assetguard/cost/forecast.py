"""Period-end cost forecast with an 80 % prediction interval.

The recurring daily component is modelled with exponential smoothing (statsmodels Holt-Winters
``ExponentialSmoothing``: damped additive trend, additive weekly seasonality) on a cleaned history:

1. **Month-start charges** (subscriptions, support plans, RI/SP fees billed on day 1) are detected
   as a day-1 excess over the following week that recurs in most recent months. They are removed
   from the training series and their typical amount is added back for each month start still ahead.
2. **One-off spikes** are clipped to a robust band around the 7-day rolling median, so one bad day
   does not tilt the level or trend.
3. The model's future paths are simulated with errors bootstrapped from the residuals against the
   *unclipped* history (so spike risk stays in the interval) and summed per path; the 10th and 90th
   percentiles of those sums bound the 80 % interval of the period total.

With fewer than :data:`MIN_HISTORY_DAYS` of history there is no forecast (``reason`` says why)::

    result = forecast_total(values, first_day, observed_end=date(2026, 9, 14),
                            period_start=date(2026, 9, 1), period_end=date(2026, 10, 1))
    result.forecast.mean, result.forecast.lower, result.forecast.upper
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

MIN_HISTORY_DAYS = 14
FIT_DAYS = 182
MAX_GAP_DAYS = 31
SIMULATIONS = 400
INTERVAL = (10.0, 90.0)


@dataclass(frozen=True)
class Forecast:
    mean: float
    lower: float
    upper: float
    method: str

    def contract(self) -> dict[str, float]:
        return {"mean": round(self.mean, 2), "lower": round(self.lower, 2), "upper": round(self.upper, 2)}


@dataclass(frozen=True)
class ForecastResult:
    forecast: Forecast | None
    reason: str | None = None


def forecast_total(values: np.ndarray, first_day: date, *, observed_end: date, period_start: date,
                   period_end: date, seed: int = 7) -> ForecastResult:
    """Forecast the total of ``period_start <= day < period_end`` given daily ``values`` from ``first_day``
    through ``observed_end`` (inclusive; missing days are zero)."""
    n = (observed_end - first_day).days + 1
    if n < MIN_HISTORY_DAYS or len(values) < MIN_HISTORY_DAYS:
        return ForecastResult(None, f"too little history: {max(n, 0)} day(s), need {MIN_HISTORY_DAYS}")
    values = np.asarray(values[:n], dtype=float)
    offset = max((period_start - first_day).days, 0)
    actual = float(values[offset:].sum()) if offset < n else 0.0
    horizon_start = max(observed_end + timedelta(days=1), period_start)
    horizon = (period_end - horizon_start).days
    if horizon <= 0:
        return ForecastResult(Forecast(actual, actual, actual, "complete"))
    # Days between the observed end and the period start (a future period) are forecast but not counted.
    gap = (horizon_start - observed_end).days - 1
    if gap > MAX_GAP_DAYS:
        return ForecastResult(None, f"no cost data since {observed_end.isoformat()}")
    days = pd.date_range(first_day, periods=n, freq="D")
    unspiked, charge = remove_month_start_charges(values, days)
    cleaned = clip_spikes(unspiked)
    future_days = pd.date_range(observed_end + timedelta(days=1), periods=gap + horizon, freq="D")
    paths, point = _simulate(cleaned[-FIT_DAYS:], unspiked[-FIT_DAYS:], gap + horizon, seed)
    # Known month-start charges still ahead in the period.
    extra = np.array([charge if d.day == 1 else 0.0 for d in future_days])
    paths = np.clip(paths, 0.0, None)[gap:] + extra[gap:, None]
    point = np.clip(point, 0.0, None)[gap:] + extra[gap:]
    totals = paths.sum(axis=0)
    lower, upper = np.percentile(totals, INTERVAL)
    mean = actual + float(point.sum())
    return ForecastResult(Forecast(mean, min(actual + float(lower), mean), max(actual + float(upper), mean),
                                   "holt-winters"))


def remove_month_start_charges(values: np.ndarray, days: pd.DatetimeIndex) -> tuple[np.ndarray, float]:
    """Remove recurring day-1 charges; returns the cleaned series and the typical charge (0 if none)."""
    out = values.copy()
    excesses: list[tuple[int, float]] = []
    for i in np.flatnonzero(days.day == 1):
        after = values[i + 1:i + 8]
        if len(after) < 5:
            continue
        base = float(np.median(after))
        spread = float(np.median(np.abs(after - base))) * 1.4826
        excess = float(values[i] - base)
        if excess > max(3 * spread, 0.25 * abs(base), 1e-9):
            excesses.append((int(i), excess))
    recent_starts = [i for i in np.flatnonzero(days.day == 1) if i + 5 < len(values)][-3:]
    recurring = [e for i, e in excesses if i in recent_starts]
    if len(recent_starts) == 0 or len(recurring) * 2 < len(recent_starts) + (1 if len(recent_starts) > 1 else 0):
        return out, 0.0
    for index, excess in excesses:
        out[index] -= excess
    return out, float(np.median(recurring))


def clip_spikes(values: np.ndarray, k: float = 4.0) -> np.ndarray:
    """Clip points further than ``k`` robust deviations from the centred 7-day rolling median."""
    series = pd.Series(values)
    med = series.rolling(7, center=True, min_periods=3).median().to_numpy()
    resid = values - med
    mad = float(np.nanmedian(np.abs(resid))) * 1.4826
    if not np.isfinite(mad) or mad <= 0:
        return values.copy()
    return np.asarray(np.clip(values, med - k * mad, med + k * mad), dtype=float)


def _simulate(train: np.ndarray, raw: np.ndarray, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Simulated paths (steps × SIMULATIONS) and the point forecast of the next ``steps`` days.

    The model is fitted on the cleaned series ``train``; the simulation draws its errors from the
    residuals against the *unclipped* series ``raw``, so the interval keeps the risk of spikes.
    """
    if np.allclose(train, train[0]):
        flat = np.full(steps, float(train[0]))
        return np.repeat(flat[:, None], SIMULATIONS, axis=1), flat
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "add" if len(train) >= 21 else None
    rng = np.random.default_rng(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(train, trend="add", damped_trend=True, seasonal=seasonal,
                                         seasonal_periods=7 if seasonal else None,
                                         initialization_method="heuristic" if seasonal else "estimated")
            fit = model.fit(use_brute=False)
            point = np.asarray(fit.forecast(steps), dtype=float)
            resid = raw - np.asarray(fit.fittedvalues, dtype=float)
            errors = rng.choice(resid - float(np.median(resid)), size=(steps, SIMULATIONS))
            paths = np.asarray(fit.simulate(steps, repetitions=SIMULATIONS, random_errors=errors),
                               dtype=float).reshape(steps, SIMULATIONS)
        if np.all(np.isfinite(point)) and np.all(np.isfinite(paths)):
            return paths, point
    except (ValueError, np.linalg.LinAlgError):
        pass
    return _fallback(train, steps, seed)


def _fallback(train: np.ndarray, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weekday means of the last four weeks with bootstrapped day-level noise."""
    recent = train[-28:]
    rng = np.random.default_rng(seed)
    by_weekday = [float(np.mean(recent[i::7])) for i in range(min(7, len(recent)))]
    start = len(train) % 7 if len(recent) == 28 else 0
    point = np.array([by_weekday[(start + i) % len(by_weekday)] for i in range(steps)])
    noise = rng.choice(recent - float(np.mean(recent)), size=(steps, SIMULATIONS))
    return point[:, None] + noise, point


def run_rate_total(actual: float, days_elapsed: int, days_in_period: int) -> float:
    """The naive baseline: spend so far, extrapolated linearly to the period end."""
    return actual / days_elapsed * days_in_period if days_elapsed > 0 else 0.0
