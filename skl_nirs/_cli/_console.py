"""Messages on stderr: status lines, each distinct warning once."""

import sys
import warnings
from collections import Counter
from contextlib import contextmanager

PROG = "skl-nirs"


class CommandError(Exception):
    """A problem the user can fix (a file, an option value): exit status 1."""


def one_line(text):
    return " ".join(str(text).split())


def say(message):
    """``skl-nirs: message`` on stderr."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class Console:
    """Status lines and warnings on stderr, for one run of the command."""

    def __init__(self, *, quiet=False, verbose=False):
        self.quiet, self.verbose = quiet, verbose
        self.counts = Counter()

    def note(self, message):
        if not self.quiet:
            say(message)

    def _show(self, message, category, *args, **kwargs):
        key = f"{category.__name__}: {one_line(message)}"
        self.counts[key] += 1
        if self.counts[key] == 1:
            say(f"warning: {key}")

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
                        say(
                            f"warning ({key[:60]}...) repeated {count} times; "
                            "--verbose shows them all"
                        )
