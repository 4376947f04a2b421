"""Covariate BG/NBD fit on 1,000,000 customers with 5 covariates (issue 18's target: 10 s).

Run from the repository root (about a minute or two on 2 cores):

    PYTHONPATH=src python benchmarks/bench_covariates.py
    PYTHONPATH=src python benchmarks/bench_covariates.py --customers 200000

Customers are drawn from the BG/NBD story with planted coefficients: three normal and
two binary covariates act on the purchase process (``alpha_i = alpha exp(-g_p' z)``) and
on dropout (``a_i``, ``b_i`` scaled by ``exp(g_d' z)``), observed for 52 weeks. The script
times ``BetaGeoModel().fit(summary, purchase_covariates=..., dropout_covariates=...)``
(the fit without covariates that starts it included), prints the largest gap between
estimated and planted coefficients in standard errors, and records the time in
``benchmarks/results/results.csv``. There is no Python peer with covariates (lifetimes
has none); the figure is compared with the issue's target of 10 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _record import record

G_PURCHASE = np.array([0.3, -0.2, 0.1, 0.4, -0.3])
G_DROPOUT = np.array([0.2, 0.1, -0.2, 0.3, 0.0])


def simulate(
    n: int, seed: int = 0, *, horizon: float = 52.0, max_purchases: int = 60
) -> pd.DataFrame:
    """A BTYD summary of ``n`` customers with five covariate columns ``z0``..``z4``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    z[:, 3:] = rng.random((n, 2)) < 0.4
    alpha = 6.0 * np.exp(-(z @ G_PURCHASE))
    life = np.exp(z @ G_DROPOUT)
    lam = rng.gamma(0.8, 1.0 / alpha)
    p = rng.beta(0.9 * life, 2.0 * life)
    times = np.cumsum(rng.exponential(1.0, size=(n, max_purchases)) / lam[:, None], axis=1)
    bought = np.minimum((times <= horizon).sum(axis=1), rng.geometric(p))
    recency = np.where(bought > 0, times[np.arange(n), np.maximum(bought - 1, 0)], 0.0)
    frame = pd.DataFrame({"frequency": bought.astype(float), "recency": recency, "T": horizon})
    for k in range(5):
        frame[f"z{k}"] = z[:, k]
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    from crmanalytics.value import BetaGeoModel

    summary = simulate(args.customers)
    names = [f"z{k}" for k in range(5)]
    t0 = time.perf_counter()
    model = BetaGeoModel().fit(summary, purchase_covariates=names, dropout_covariates=names)
    seconds = time.perf_counter() - t0
    coef = model.coefficients_
    truth = np.concatenate([G_PURCHASE, G_DROPOUT])
    gap = np.max(np.abs(coef["estimate"].to_numpy() - truth) / coef["std_error"].to_numpy())
    print(f"customers {args.customers:,}  covariates 5+5  fit {seconds:.1f} s  "
          f"largest |estimate - truth| / se {gap:.2f}")  # fmt: skip
    record(
        "covariates",
        "BetaGeoModel.fit with 5 purchase + 5 dropout covariates",
        backend="pandas",
        rows=args.customers,
        unit="customers",
        seconds=seconds,
        note=f"target 10 s; largest |estimate - planted| = {gap:.2f} SE",
    )


if __name__ == "__main__":
    main()
