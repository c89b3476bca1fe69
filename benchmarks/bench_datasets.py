"""Time the synthetic spectra generator and the CSV loader.

Prints the median of 5 runs of ``make_nirs_regression(10_000, 2_000)`` next to
scikit-learn's ``make_regression`` of the same shape, and the time to load a
2 000 x 2 000 CSV file written from it, through pandas and without it, next to
``pandas.read_csv`` of the same file.

Run: ``python benchmarks/bench_datasets.py``
"""

import csv
import statistics
import tempfile
import time
from pathlib import Path

from sklearn.datasets import make_regression

from skl_nirs.datasets import _io, load_spectra_csv, make_nirs_regression


def _median_time(function, repeat=5):
    times = []
    for seed in range(repeat):
        start = time.perf_counter()
        function(seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    nirs = _median_time(
        lambda seed: make_nirs_regression(10_000, 2_000, random_state=seed)
    )
    sklearn = _median_time(
        lambda seed: make_regression(10_000, 2_000, random_state=seed)
    )
    print(f"make_nirs_regression(10_000, 2_000): {nirs:.3f} s (median of 5)")
    print(f"sklearn make_regression, same shape: {sklearn:.3f} s")
    print(f"ratio: {nirs / sklearn:.2f}")

    X, y, wavelengths = make_nirs_regression(2_000, 2_000, random_state=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spectra.csv"
        with open(path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "y", *wavelengths.tolist()])
            for i, (spectrum, target) in enumerate(zip(X, y, strict=True)):
                writer.writerow([i, target, *spectrum.tolist()])
        load = _median_time(lambda seed: load_spectra_csv(path, target="y"), 3)
        pandas = _pandas_time(path)
        fast_path = _io._pandas
        _io._pandas = lambda: None
        try:
            load_csv = _median_time(lambda seed: load_spectra_csv(path, target="y"), 3)
        finally:
            _io._pandas = fast_path
    print(f"load_spectra_csv, 2_000 x 2_000: {load:.3f} s (median of 3)")
    print(f"  without pandas: {load_csv:.3f} s")
    if pandas is not None:
        print(f"  pandas.read_csv, same file: {pandas:.3f} s")
        print(
            f"  ratios to pandas.read_csv: {load / pandas:.2f}, without pandas "
            f"{load_csv / pandas:.2f}"
        )


def _pandas_time(path):
    """Median seconds of ``pandas.read_csv(path)``, or None without pandas."""
    pd = _io._pandas()
    return None if pd is None else _median_time(lambda seed: pd.read_csv(path), 3)


if __name__ == "__main__":
    main()
