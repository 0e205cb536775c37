"""Data drift between a reference and a current table, feature by feature.

Numeric columns: the two-sample Kolmogorov–Smirnov test and the Population
Stability Index over 10 bins cut at the reference's deciles (outer edges open).
Categorical columns (bool, text, category, or numbers with at most 10 distinct
values): chi-squared on the 2 × k table of counts, levels expected fewer than 5
times merged into ``__other__``, and PSI over the levels. Empty shares count as
1e-4 in PSI. A feature drifts when its p-value is below α (0.05) corrected over
the features tested **and** its PSI is at least 0.10; severity follows PSI
(moderate from 0.10, major from 0.25). The data set drifts when half the
features tested drift or any is major. Fewer than 30 usable rows on a side: no
test (``insufficient_data``); nothing usable on a side: ``empty``. Missing
values (and ±inf) are left out of the tests and their shares reported.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["drift", "psi", "DriftReport", "ALPHA", "MIN_ROWS"]

ALPHA = 0.05
MIN_ROWS = 30
EPSILON = 1e-4
CATEGORY_LIMIT = 10
MODERATE, MAJOR = 0.10, 0.25
MISSINGNESS_SHIFT = 0.05
_CORRECTIONS = ("bonferroni", "fdr", "none")


def psi(reference_shares: Iterable[float], current_shares: Iterable[float]) -> float:
    """Population Stability Index of two distributions over the same bins (shares of 1;
    an empty share counts as :data:`EPSILON`)."""
    total = 0.0
    for ref, cur in zip(reference_shares, current_shares, strict=True):
        ref, cur = max(ref, EPSILON), max(cur, EPSILON)
        total += (cur - ref) * math.log(cur / ref)
    return total


def _severity(value: float) -> str:
    return "major" if value >= MAJOR else "moderate" if value >= MODERATE else "none"


def _is_categorical(ref: Any, cur: Any) -> bool:
    import pandas as pd

    if not (pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(cur)) or \
            pd.api.types.is_bool_dtype(ref):
        return True
    if _distinct_floats(ref.iloc[:_PROBE_ROWS]) > CATEGORY_LIMIT:
        # the first rows already hold too many values: no need to hash the whole column
        return False
    both = pd.concat([ref, cur], ignore_index=True)
    return bool(both.nunique(dropna=True) <= CATEGORY_LIMIT)


#: How many leading reference rows are checked for many distinct values before counting all.
_PROBE_ROWS = 1000


def _distinct_floats(series: Any) -> int:
    """Distinct non-missing values of a numeric series (as floats, which can only merge
    values, never split them, so more than the limit here is more than the limit)."""
    import numpy as np

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return int(np.unique(values[~np.isnan(values)]).size)


def _usable(series: Any) -> Any:
    """The finite values of a numeric series as a sorted float array."""
    import numpy as np

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    values = values[np.isfinite(values)]
    values.sort()
    return values


def _level_counts(series: Any) -> Any:
    """Rows per level of a categorical series: its non-missing values as text (values with
    the same text are one level), levels in text order."""
    counts = series.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]  # a category dtype lists its unused categories too
    counts.index = counts.index.astype(str)
    return counts.groupby(level=0, sort=True).sum()


#: A feature's shares per bin (or level), reference then current: what the report draws.
Shares = tuple[list[float], list[float]]
#: What a test returns: test name, statistic, p-value, PSI, shares, and the bins (the
#: reference's inner decile edges, or the level names).
Result = tuple[str, float, float, float, Shares, list[Any]]


def _numeric(ref: Any, cur: Any) -> Result:
    """KS and decile PSI of two sorted float arrays."""
    import numpy as np
    from scipy import stats

    # ks_2samp sorts its samples itself; already sorted, that costs little, and its
    # search of every value in each sample runs over ascending values (cache friendly)
    result = stats.ks_2samp(ref, cur, method="auto")
    inner = np.unique(np.quantile(ref, np.linspace(0.1, 0.9, 9)))
    # bin i holds the values v with inner[i-1] <= v < inner[i]: on sorted samples the bin
    # counts are differences of the positions of the edges
    ref_counts = np.diff(np.searchsorted(ref, inner, side="left"), prepend=0, append=len(ref))
    cur_counts = np.diff(np.searchsorted(cur, inner, side="left"), prepend=0, append=len(cur))
    ref_shares, cur_shares = ref_counts / len(ref), cur_counts / len(cur)
    value = psi(ref_shares, cur_shares)
    return ("ks", float(result.statistic), float(result.pvalue), value,
            (ref_shares.tolist(), cur_shares.tolist()), inner.tolist())


def _categorical(ref: Any, cur: Any) -> Result:
    """Chi-squared and PSI over the levels of two level-count series."""
    import numpy as np
    from scipy import stats

    levels = sorted(set(ref.index) | set(cur.index))
    ref_counts = ref.reindex(levels, fill_value=0).to_numpy(dtype="int64")
    cur_counts = cur.reindex(levels, fill_value=0).to_numpy(dtype="int64")
    shares = ((ref_counts / ref_counts.sum()).tolist(),
              (cur_counts / cur_counts.sum()).tolist())
    value = psi(*shares)
    table = np.vstack([ref_counts, cur_counts]).astype(float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    rare = (expected < 5).any(axis=0)
    if rare.any():
        table = np.hstack([table[:, ~rare], table[:, rare].sum(axis=1, keepdims=True)])
        table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return "chi2", math.nan, math.nan, value, shares, levels
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    return "chi2", float(chi2), float(p), value, shares, levels


def _thresholds(p_values: list[float], correction: str) -> list[bool]:
    """Whether each p-value is significant after ``correction``."""
    k = len(p_values)
    if correction == "none":
        return [p < ALPHA for p in p_values]
    if correction == "bonferroni":
        return [p < ALPHA / k for p in p_values]
    order = sorted(range(k), key=lambda i: p_values[i])
    cutoff = -1
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rank / k * ALPHA:
            cutoff = rank
    return [order.index(i) < cutoff for i in range(k)]


@dataclass(frozen=True)
class DriftReport:
    """The verdicts of :func:`drift`.

    ``features`` has one row per column (sorted by PSI, largest first): type, test,
    statistic, p-value, PSI, severity, drifted, status (``ok``, ``insufficient_data``,
    ``empty``, ``not_testable``), rows and missing shares on each side, and whether the
    missing share moved by more than 5 points; ``shares`` (reference and current share
    per bin) and ``bins`` (numeric: the reference's inner decile edges; categorical: the
    level names) for tested features. Shown in a notebook as a live widget, the static
    HTML table beside it for renderers without widgets (:mod:`nbtrack.views.drift_display`).
    """

    features: Any
    share: float
    drift_detected: bool
    max_psi: float
    alpha: float
    correction: str
    n_reference: int
    n_current: int

    @property
    def drifted(self) -> list[str]:
        """The drifted features, largest PSI first."""
        return [str(f) for f in self.features.loc[self.features["drifted"], "feature"]]

    def metrics(self) -> dict[str, float]:
        """What is stored with the monitor run: ``drift.psi.<f>``, ``drift.p.<f>``,
        ``drift.share``, ``drift.max_psi`` and ``drift.detected`` (1 or 0)."""
        out: dict[str, float] = {"drift.share": self.share, "drift.max_psi": self.max_psi,
                                 "drift.detected": float(self.drift_detected)}
        for row in self.features.itertuples():
            if row.status in ("ok", "not_testable"):
                out[f"drift.psi.{row.feature}"] = float(row.psi)
                out[f"drift.p.{row.feature}"] = float(row.p_value)
        return out

    def summary(self) -> str:
        """One line: how many features drifted, at which threshold."""
        tested = int((self.features["status"] == "ok").sum())
        verdict = "drift detected" if self.drift_detected else "no drift"
        return (f"{verdict}: {len(self.drifted)} of {tested} features drifted "
                f"(α = {self.alpha:g}, {self.correction}; max PSI {self.max_psi:.3f}) · "
                f"reference {self.n_reference:,} rows, current {self.n_current:,}")

    def __repr__(self) -> str:
        shown = self.features[["feature", "type", "test", "statistic", "p_value", "psi",
                               "severity", "drifted", "status"]]
        return self.summary() + "\n" + shown.to_string(index=False)

    def _repr_html_(self) -> str:
        return _html(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        from ..views.drift_display import drift_bundle

        return drift_bundle(self, include, exclude)

    def _ipython_display_(self) -> None:
        from ..views.drift_display import show_drift

        show_drift(self)


def drift(reference: Any, current: Any, *, columns: Iterable[str] | None = None,
          correction: str = "bonferroni", types: dict[str, str] | None = None) -> DriftReport:
    """Compare ``current`` with ``reference`` (DataFrames) column by column.

    Parameters
    ----------
    reference, current : pandas.DataFrame
    columns : iterable of str, optional
        The columns to compare (default: every column of ``reference``; datetime columns
        are skipped).
    correction : {"bonferroni", "fdr", "none"}
        How α = 0.05 is corrected over the features tested.
    types : dict, optional
        ``{"column": "numeric" | "categorical"}`` to override the detected type.

    Returns
    -------
    DriftReport
    """
    import pandas as pd

    from ..errors import InvalidValueError

    if correction not in _CORRECTIONS:
        raise InvalidValueError(f"correction must be one of {', '.join(_CORRECTIONS)}, got "
                                f"{correction!r}")
    for name, table in (("reference", reference), ("current", current)):
        if not isinstance(table, pd.DataFrame):
            raise InvalidValueError(f"{name} must be a pandas DataFrame, got "
                                    f"{type(table).__name__}")
    wanted = list(columns) if columns is not None else [
        c for c in reference.columns if not pd.api.types.is_datetime64_any_dtype(reference[c])]
    missing = [c for c in wanted if c not in current.columns or c not in reference.columns]
    if missing:
        raise InvalidValueError(f"column{'s' * (len(missing) > 1)} {', '.join(map(str, missing))}"
                                " missing from the reference or the current data")
    rows = []
    for column in wanted:
        ref_col, cur_col = reference[column], current[column]
        chosen = (types or {}).get(column)
        categorical = chosen == "categorical" if chosen else _is_categorical(ref_col, cur_col)
        prepare = _level_counts if categorical else _usable
        ref, cur = prepare(ref_col), prepare(cur_col)
        n_ref, n_cur = (int(ref.sum()), int(cur.sum())) if categorical else (len(ref), len(cur))
        missing_ref = 1 - n_ref / len(ref_col) if len(ref_col) else 1.0
        missing_cur = 1 - n_cur / len(cur_col) if len(cur_col) else 1.0
        row: dict[str, Any] = {
            "feature": column, "type": "categorical" if categorical else "numeric",
            "test": "chi2" if categorical else "ks", "statistic": math.nan,
            "p_value": math.nan, "psi": math.nan, "severity": "none", "drifted": False,
            "n_reference": n_ref, "n_current": n_cur, "missing_reference": missing_ref,
            "missing_current": missing_cur,
            "missingness_shift": abs(missing_cur - missing_ref) > MISSINGNESS_SHIFT,
            "shares": None, "bins": None}
        if n_ref == 0 or n_cur == 0:
            row["status"] = "empty"
        elif n_ref < MIN_ROWS or n_cur < MIN_ROWS:
            row["status"] = "insufficient_data"
        else:
            test, statistic, p, value, shares, bins = (
                _categorical if categorical else _numeric)(ref, cur)
            row.update(test=test, statistic=statistic, p_value=p, psi=value, shares=shares,
                       bins=bins,
                       severity=_severity(value),
                       status="ok" if not math.isnan(p) else "not_testable")
        rows.append(row)
    tested = [r for r in rows if r["status"] == "ok"]
    significant = _thresholds([r["p_value"] for r in tested], correction) if tested else []
    for r, is_significant in zip(tested, significant, strict=True):
        r["drifted"] = bool(is_significant and r["psi"] >= MODERATE)
    share = sum(r["drifted"] for r in tested) / len(tested) if tested else 0.0
    psis = [r["psi"] for r in rows if not math.isnan(r["psi"])]
    max_psi = max(psis) if psis else 0.0
    detected = share >= 0.5 or any(r["severity"] == "major" for r in tested)
    alpha = ALPHA / len(tested) if tested and correction == "bonferroni" else ALPHA
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values("psi", ascending=False, na_position="last", kind="stable")
        frame = frame.reset_index(drop=True)
    return DriftReport(frame, share, detected, max_psi, alpha, correction, len(reference),
                       len(current))


def _bars(shares: Shares | None) -> str:
    """Overlaid bars of the two distributions as a small inline SVG (grey: reference,
    orange: current), one pair per bin or level."""
    if not shares:
        return ""
    ref, cur = shares
    width, height = 120, 28
    step = width / max(1, len(ref))
    top = max(max(ref), max(cur)) or 1.0
    parts = []
    for i, (r, c) in enumerate(zip(ref, cur, strict=True)):
        x = i * step
        for value, colour, offset in ((r, "#9e9e9e", 0.0), (c, "#ef6c00", step / 2)):
            h = height * value / top
            parts.append(f'<rect x="{x + offset:.1f}" y="{height - h:.1f}" '
                         f'width="{max(step / 2 - 1, 1):.1f}" height="{h:.1f}" '
                         f'fill="{colour}"/>')
    return (f'<svg width="{width}" height="{height}" role="img" '
            f'aria-label="reference and current shares">{"".join(parts)}</svg>')


_BADGE = {"major": "#c62828", "moderate": "#ef6c00", "none": "#2e7d32"}


def _number(value: float, digits: str = ".3g") -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else format(value, digits)


def _html(report: DriftReport) -> str:
    """A header with the verdict and one row per feature, largest PSI first."""
    esc = html.escape
    head = ("<tr><th>feature</th><th>type</th><th>test</th><th>statistic</th><th>p</th>"
            "<th>PSI</th><th>severity</th><th>drifted</th><th>missing (ref → cur)</th>"
            "<th>status</th><th>reference / current</th></tr>")
    body = []
    for row in report.features.itertuples():
        colour = _BADGE.get(row.severity, "#555")
        badge = (f'<span style="background:{colour};color:white;border-radius:3px;'
                 f'padding:0 4px">{esc(row.severity)}</span>') if row.status == "ok" else ""
        missing = f"{row.missing_reference:.0%} → {row.missing_current:.0%}" + \
            (" ⚠" if row.missingness_shift else "")
        body.append(
            f"<tr><td>{esc(str(row.feature))}</td><td>{esc(row.type)}</td>"
            f"<td>{esc(row.test)}</td><td>{_number(row.statistic)}</td>"
            f"<td>{_number(row.p_value)}</td><td>{_number(row.psi, '.4f')}</td>"
            f"<td>{badge}</td><td>{'yes' if row.drifted else ''}</td><td>{missing}</td>"
            f"<td>{esc(row.status)}</td><td>{_bars(row.shares)}</td></tr>")
    verdict = "#c62828" if report.drift_detected else "#2e7d32"
    return (f'<div class="nbtrack-drift"><p><b style="color:{verdict}">'
            f"{esc(report.summary())}</b></p>"
            '<table style="border-collapse:collapse;font-size:12px">'
            f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table></div>")
