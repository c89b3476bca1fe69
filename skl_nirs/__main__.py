"""Run the command line as ``python -m skl_nirs``."""

from skl_nirs._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
