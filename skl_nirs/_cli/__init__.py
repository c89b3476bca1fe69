"""The ``skl-nirs`` command line: a thin shell over the public estimators."""

import os
import sys
import traceback

from ._console import PROG, Console, one_line


class CommandError(Exception):
    """A problem the user can fix (a file, an option value): exit status 1."""


def main(argv=None):
    """Run ``skl-nirs``; return the exit status.

    0 on success, 1 for an error in the data or the work, 2 for a usage error,
    130 after Ctrl-C, 143 after SIGTERM (the workers are shut down).

    Examples
    --------
    >>> from skl_nirs._cli import main
    >>> main(["--version"])
    skl-nirs ...
    0
    """
    from skl_nirs.utils._parallel import terminate_on_sigterm

    from . import _commands
    from ._parser import build_parser

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code
    console = Console(quiet=args.quiet, verbose=args.verbose)
    try:
        with console.warnings(), terminate_on_sigterm():
            status = getattr(_commands, f"run_{args.command}")(args, console)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # the reader went away (| head): as the Python docs recommend, send what
        # is left to devnull, so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # SIGTERM: the workers were shut down
        print(f"{PROG}: terminated", file=sys.stderr)
        return exc.code
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        name = "" if isinstance(exc, CommandError) else f"{type(exc).__name__}: "
        print(f"{PROG}: error: {name}{one_line(exc)}", file=sys.stderr)
        return 1
