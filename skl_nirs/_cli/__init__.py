"""The ``skl-nirs`` command line: a thin shell over the public estimators."""

import os
import sys
import traceback

from ._console import CommandError, Console, one_line, say


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
            getattr(_commands, f"run_{args.command}")(args, console)
        sys.stdout.flush()
        return 0
    except BrokenPipeError:
        # the reader went away (| head): as the Python docs recommend, send what
        # is left to devnull, so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except SystemExit as exc:  # SIGTERM: the workers were shut down
        say("terminated")
        return exc.code
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        name = "" if isinstance(exc, CommandError) else f"{type(exc).__name__}: "
        say(f"error: {name}{one_line(exc)}")
        return 1
