"""Produce the golden values in tests/data/*.json with independent implementations.

Run by a person, never imported by the product or the tests::

    .venv/bin/python tests/data/make_expected.py

The expected values come from pingouin, statsmodels, scipy and plain pandas, never from
``assessment.core`` or ``surveys.core``. Inputs are fixed literals or drawn from a
seeded generator, so a rerun with the same library versions writes the same files.
Missing values are stored as JSON ``null``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

HERE = Path(__file__).parent
RNG = np.random.default_rng(20260101)


def _nullable(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(v) else float(v) for v in row] for row in matrix.tolist()]


def _write(name: str, payload: dict[str, Any]) -> None:
    payload = {
        "generated_by": "tests/data/make_expected.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": scipy.__version__,
            "pingouin": pg.__version__,
            "statsmodels": statsmodels.__version__,
        },
        **payload,
    }
    (HERE / name).write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n")


# ---------------------------------------------------------------------------
# panels (targets × raters)
# ---------------------------------------------------------------------------

SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)


def _rubric_panel() -> np.ndarray:
    """8 cadres × 5 assessors on the default rubric 50/70/85/100: many ties."""
    true_level = RNG.integers(0, 4, size=8)
    noise = RNG.integers(-1, 2, size=(8, 5))
    levels = np.clip(true_level[:, None] + noise, 0, 3)
    return np.array([50.0, 70.0, 85.0, 100.0])[levels]


def _continuous_panel(n: int, k: int) -> np.ndarray:
    truth = RNG.normal(75, 8, size=n)
    leniency = RNG.normal(0, 3, size=k)
    return truth[:, None] + leniency[None, :] + RNG.normal(0, 5, size=(n, k))


def _with_missing(matrix: np.ndarray, cells: list[tuple[int, int]]) -> np.ndarray:
    out = matrix.copy()
    for i, j in cells:
        out[i, j] = np.nan
    return out


PANELS: dict[str, np.ndarray] = {
    "shrout_fleiss_1979_table2": SHROUT_FLEISS,
    "rubric_levels_with_ties": _rubric_panel(),
    "continuous_30x6": _continuous_panel(30, 6),
    "missing_two_targets": _with_missing(_continuous_panel(10, 4), [(2, 1), (7, 3), (7, 0)]),
    "tiny_3x2": np.array([[70.0, 85.0], [85.0, 85.0], [100.0, 85.0]]),
}


def icc_expected() -> None:
    """pingouin.intraclass_corr(..., nan_policy="omit") on each panel.

    The 95% intervals (McGraw and Wong 1996; pingouin's ``CI95`` column) are kept at
    full precision: pingouin rounds that column to 2 decimals unless its option
    ``round.column.CI95`` is None.
    """
    pg.options["round.column.CI95"] = None
    datasets = []
    for name, matrix in PANELS.items():
        wide = pd.DataFrame(matrix, columns=[f"r{j}" for j in range(matrix.shape[1])])
        wide["target"] = np.arange(matrix.shape[0])
        long = wide.melt(id_vars="target", var_name="rater", value_name="rating")
        table = pg.intraclass_corr(
            data=long, targets="target", raters="rater", ratings="rating", nan_policy="omit"
        ).set_index("Type")
        complete = int((~np.isnan(matrix).any(axis=1)).sum())
        datasets.append(
            {
                "name": name,
                "ratings": _nullable(matrix),
                "n_targets": complete,
                "icc": {t: float(table.loc[t, "ICC"]) for t in table.index},
                "f": {t: float(table.loc[t, "F"]) for t in table.index},
                "pval": {t: float(table.loc[t, "pval"]) for t in table.index},
                "ci95": {t: [float(v) for v in table.loc[t, "CI95"]] for t in table.index},
            }
        )
    pg.set_default_options()
    _write(
        "icc.json",
        {
            "call": 'pingouin.intraclass_corr(data=long, targets="target", raters="rater", '
            'ratings="rating", nan_policy="omit") with pingouin.options["round.column.CI95"] '
            "= None (full-precision 95% intervals)",
            "datasets": datasets,
        },
    )


def kendall_expected() -> None:
    """W = chi2 / (m (n - 1)) from scipy.stats.friedmanchisquare (tie-corrected)."""
    datasets = []
    panels = dict(PANELS)
    panels["all_raters_agree_with_ties"] = np.array(
        [[1, 1, 1], [2, 2, 2], [2, 2, 2], [4, 4, 4]], dtype=float
    )
    for name, matrix in panels.items():
        complete = matrix[~np.isnan(matrix).any(axis=1)]
        n, m = complete.shape
        # each target is a "treatment" measured in m blocks (raters)
        chi2, p_value = stats.friedmanchisquare(*complete)
        datasets.append(
            {
                "name": name,
                "ratings": _nullable(matrix),
                "n_targets": int(n),
                "m_raters": int(m),
                "chi2": float(chi2),
                "p_value": float(p_value),
                "w": float(chi2 / (m * (n - 1))),
            }
        )
    _write(
        "kendall_w.json",
        {
            "call": "scipy.stats.friedmanchisquare(*complete_rows); w = chi2 / (m * (n - 1))",
            "datasets": datasets,
        },
    )


# ---------------------------------------------------------------------------
# Likert items (respondents × items)
# ---------------------------------------------------------------------------


def _likert(n: int, k_items: int, points: int = 5) -> np.ndarray:
    attitude = RNG.normal(0, 1, size=n)
    latent = attitude[:, None] + RNG.normal(0, 0.8, size=(n, k_items))
    return np.clip(np.round(3 + latent), 1, points).astype(float)


ITEM_SETS: dict[str, np.ndarray] = {
    "likert_50x6": _likert(50, 6),
    "likert_missing_40x4": _with_missing(_likert(40, 4), [(0, 0), (5, 2), (5, 3), (17, 1)]),
    "tiny_4x3": np.array([[1, 2, 2], [2, 3, 3], [3, 4, 5], [4, 4, 4]], dtype=float),
}


def cronbach_expected() -> None:
    """pingouin.cronbach_alpha(data=df, nan_policy="listwise")."""
    datasets = []
    for name, matrix in ITEM_SETS.items():
        alpha, _ = pg.cronbach_alpha(data=pd.DataFrame(matrix), nan_policy="listwise")
        # pingouin 0.7.0 takes the Feldt df from the row count *before* listwise deletion,
        # so the interval is taken from a call on the complete rows only
        _, ci = pg.cronbach_alpha(data=pd.DataFrame(matrix).dropna(axis=0, how="any"))
        datasets.append(
            {
                "name": name,
                "items": _nullable(matrix),
                "n_respondents": int((~np.isnan(matrix).any(axis=1)).sum()),
                "alpha": float(alpha),
                "ci": [float(ci[0]), float(ci[1])],
            }
        )
    _write(
        "cronbach.json",
        {
            "call": "alpha: pingouin.cronbach_alpha(data=pd.DataFrame(items), "
            'nan_policy="listwise"); '
            "ci: pingouin.cronbach_alpha(data=pd.DataFrame(items).dropna()) because pingouin "
            "0.7.0 computes the Feldt df from the row count before listwise deletion "
            "(pingouin rounds the CI to 3 decimals)",
            "datasets": datasets,
        },
    )


# ---------------------------------------------------------------------------
# satisfaction: response scores, t-interval, Kish, Wilson
# ---------------------------------------------------------------------------


def _satisfaction_case(
    name: str, items: np.ndarray, units: list[str] | None, populations: dict[str, float] | None
) -> dict[str, Any]:
    k = 5
    # independent response scores: pandas row mean skips NaN; all-NaN rows give NaN
    scores = ((pd.DataFrame(items) - 1) / (k - 1) * 100).mean(axis=1, skipna=True).to_numpy()
    valid = ~np.isnan(scores)
    x = scores[valid]
    n = int(x.size)
    satisfied = (x >= 75).astype(float)
    case: dict[str, Any] = {
        "name": name,
        "k": k,
        "items": _nullable(items),
        "units": units,
        "populations": populations,
        "scores": [None if math.isnan(s) else float(s) for s in scores],
        "n": n,
        "n_invalid": int((~valid).sum()),
    }
    if units is None or populations is None:
        d = DescrStatsW(x)
        low, high = d.tconfint_mean(alpha=0.05)
        # scipy's t.interval returns NaN for a zero scale, so it is only a second opinion
        sem = float(stats.sem(x))
        ci_scipy = (
            [float(v) for v in stats.t.interval(0.95, n - 1, loc=x.mean(), scale=sem)]
            if sem > 0
            else None
        )
        count, nobs = float(satisfied.sum()), float(n)
        case.update(
            weighted=False,
            index=float(d.mean),
            ci=[float(low), float(high)],
            ci_scipy=ci_scipy,
            n_effective=float(n),
        )
    else:
        frame = pd.DataFrame({"unit": np.asarray(units, dtype=object)[valid], "x": x})
        n_u = frame.groupby("unit")["x"].transform("size").to_numpy(dtype=float)
        pop_u = frame["unit"].map(populations).to_numpy(dtype=float)
        present_pop = sum(populations[u] for u in frame["unit"].unique())
        w = (pop_u / present_pop) / (n_u / n)
        n_eff = w.sum() ** 2 / (w**2).sum()
        d = DescrStatsW(x, weights=w * n_eff / w.sum())
        low, high = d.tconfint_mean(alpha=0.05)
        count, nobs = float((w * satisfied).sum() / w.sum() * n_eff), float(n_eff)
        case.update(
            weighted=True,
            weights=[float(v) for v in w],
            index=float(np.average(x, weights=w)),
            ci=[float(low), float(high)],
            n_effective=float(n_eff),
        )
    share_low, share_high = proportion_confint(count, nobs, alpha=0.05, method="wilson")
    case.update(
        share_satisfied=count / nobs,
        share_ci=[float(share_low), float(share_high)],
    )
    return case


def satisfaction_expected() -> None:
    """statsmodels DescrStatsW / scipy t.interval / proportion_confint(method="wilson")."""
    big = _likert(200, 8)
    big[RNG.random(big.shape) < 0.1] = np.nan
    big[[3, 77]] = np.nan  # two responses with no answered item
    villages = ["v1", "v2", "v3", "v4"]
    units = list(RNG.choice(villages, size=200, p=[0.55, 0.25, 0.15, 0.05]))
    populations = {"v1": 1200.0, "v2": 900.0, "v3": 700.0, "v4": 400.0, "v5": 300.0}
    cases = [
        _satisfaction_case("unweighted_200", big, None, None),
        _satisfaction_case("poststratified_200", big, units, populations),
        _satisfaction_case(
            "tiny_n2", np.array([[5, 4, np.nan], [2, np.nan, np.nan]], dtype=float), None, None
        ),
        _satisfaction_case("ties_n5_all_satisfied", np.full((5, 3), 4.0), None, None),
        _satisfaction_case(
            "tiny_weighted_n3",
            np.array([[5, 5], [3, 4], [1, 2]], dtype=float),
            ["a", "a", "b"],
            {"a": 100.0, "b": 300.0},
        ),
    ]
    _write(
        "satisfaction.json",
        {
            "call": "scores: pandas ((items-1)/(k-1)*100).mean(axis=1, skipna=True); "
            "unweighted CI: statsmodels DescrStatsW(x).tconfint_mean(alpha=0.05) and "
            "scipy.stats.t.interval(0.95, n-1, loc=mean, scale=scipy.stats.sem(x)); "
            "weighted CI: DescrStatsW(x, weights=w*n_eff/sum(w)).tconfint_mean(alpha=0.05) "
            "with w = (P_u/P)/(n_u/n) from a pandas groupby and n_eff = sum(w)^2/sum(w^2); "
            "share: statsmodels proportion_confint(p*n_eff, n_eff, alpha=0.05, "
            'method="wilson")',
            "cases": cases,
        },
    )


if __name__ == "__main__":
    icc_expected()
    kendall_expected()
    cronbach_expected()
    satisfaction_expected()
