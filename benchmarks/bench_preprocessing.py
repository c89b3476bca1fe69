"""Throughput of the preprocessing transformers on one core.

For seeded synthetic spectra (by default 10 000 x 2 000 float64, 160 MB), prints
each transformer's ``fit_transform`` time (median of ``--repeats`` runs) and its
throughput, input bytes / time, in MB/s (10**6 bytes per second). BLAS and
OpenMP are limited to one thread with threadpoolctl. The memory-bound
transformers are expected to reach 200 MB/s on one core; ALS and EMSC are
reported without a target.

Run from the repository root::

    python benchmarks/bench_preprocessing.py
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skl_nirs.preprocessing import (
    AsymmetricLeastSquares,
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    GaussianFilter,
    MultiplicativeScatterCorrection,
    NorrisWilliams,
    RangeCut,
    ReflectanceToAbsorbance,
    RobustNormalVariate,
    SavitzkyGolay,
    StandardNormalVariate,
)

TARGET_MB_S = 200.0

# (transformer, held to the target?)
CASES = [
    (StandardNormalVariate(), True),
    (RobustNormalVariate(), True),
    (MultiplicativeScatterCorrection(), True),
    (Detrend(), True),
    (SavitzkyGolay(window_length=11, polyorder=2), True),
    (SavitzkyGolay(window_length=15, polyorder=2, deriv=1), True),
    (NorrisWilliams(), True),
    (GaussianFilter(sigma=2.0), True),
    (ExtendedMultiplicativeScatterCorrection(), False),
    (ReflectanceToAbsorbance(), False),
    (RangeCut(start=100, stop=1900), False),
    (AsymmetricLeastSquares(), False),
]


def make_spectra(n_samples, n_features, seed=0):
    """Smooth reflectance-like spectra in (0, 1): bands, scatter, noise."""
    rng = np.random.RandomState(seed)
    grid = np.linspace(0.0, 1.0, n_features)
    centres = rng.uniform(0.05, 0.95, size=(12, 1))
    widths = rng.uniform(0.01, 0.08, size=(12, 1))
    bands = np.exp(-(((grid - centres) / widths) ** 2))
    conc = rng.uniform(0.0, 1.0, size=(n_samples, 12))
    absorbance = conc @ bands / 6.0 + 0.1 + 0.2 * grid
    absorbance *= rng.uniform(0.8, 1.2, size=(n_samples, 1))
    absorbance += 0.002 * rng.standard_normal((n_samples, n_features))
    return 10.0 ** (-absorbance)


def time_fit_transform(transformer, X, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        transformer.fit_transform(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    X = make_spectra(args.n_samples, args.n_features)
    megabytes = X.nbytes / 1e6
    print(
        f"{args.n_samples} x {args.n_features} float64 spectra ({megabytes:.0f} MB), "
        f"median of {args.repeats} fit_transform runs, one thread"
    )
    header = f"{'transformer':<58} {'time (s)':>9} {'MB/s':>8}  target"
    print(header)
    print("-" * len(header))
    missed = []
    with threadpool_limits(limits=1):
        for transformer, held in CASES:
            seconds = time_fit_transform(transformer, X, args.repeats)
            rate = megabytes / seconds
            if held:
                ok = rate >= TARGET_MB_S
                verdict = f">= {TARGET_MB_S:.0f} {'ok' if ok else 'MISSED'}"
                if not ok:
                    missed.append(repr(transformer))
            else:
                verdict = "-"
            print(f"{transformer!r:<58} {seconds:>9.3f} {rate:>8.0f}  {verdict}")
    if missed:
        print(f"Below {TARGET_MB_S:.0f} MB/s: {', '.join(missed)}")


if __name__ == "__main__":
    main()
