import subprocess
import sys


def test_import_skl_nirs_stays_light():
    code = (
        "import sys, skl_nirs, skl_nirs.compose, skl_nirs.model_selection, "
        "skl_nirs.preprocessing, skl_nirs.datasets;"
        "heavy = {'optuna', 'dask', 'distributed', 'matplotlib'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
