"""Messages on stderr: status lines, each distinct warning once, a progress bar."""

import sys
import warnings
from collections import Counter
from contextlib import contextmanager

PROG = "skl-nirs"


def one_line(text):
    return " ".join(str(text).split())


class Console:
    """Status lines and warnings on stderr, for one run of the command."""

    def __init__(self, *, quiet=False, verbose=False):
        self.quiet = quiet
        self.verbose = verbose
        self.counts = Counter()

    def note(self, message):
        if not self.quiet:
            print(f"{PROG}: {message}", file=sys.stderr, flush=True)

    def _show(self, message, category, *args, **kwargs):
        key = f"{category.__name__}: {one_line(message)}"
        self.counts[key] += 1
        if self.counts[key] == 1:
            print(f"{PROG}: warning: {key}", file=sys.stderr)

    @contextmanager
    def warnings(self):
        """Each distinct warning once (``--verbose``: all, as Python shows them)."""
        with warnings.catch_warnings():
            if not self.verbose:
                warnings.simplefilter("always")
                warnings.showwarning = self._show
            try:
                yield
            finally:
                for key, count in self.counts.items():
                    if count > 1:
                        print(
                            f"{PROG}: warning ({key[:60]}...) repeated {count} "
                            "times; --verbose shows them all",
                            file=sys.stderr,
                        )


class Progress:
    """An Optuna callback advancing a tqdm bar on stderr (none off a terminal).

    Copies of it (``clone`` of a search deep-copies its callbacks) advance the
    same bar, so that one bar counts the trials of every search of a nested
    cross-validation.
    """

    def __init__(self, description, total):
        from tqdm import tqdm

        self.bar = tqdm(desc=f"{PROG}: {description}", total=total, disable=None)

    def __deepcopy__(self, memo):
        return self

    def __call__(self, study, trial):
        self.bar.update()
