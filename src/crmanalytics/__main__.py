"""Command line: ``python -m crmanalytics demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmanalytics`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        The process exit code.

    Examples
    --------
    >>> from crmanalytics.__main__ import main
    >>> main(["--version"])  # doctest: +SKIP
    0
    """
    from crmanalytics import __version__

    parser = argparse.ArgumentParser(
        prog="crmanalytics", description="Customer analytics over any dataframe."
    )
    parser.add_argument("--version", action="version", version=f"crmanalytics {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="summarise the bundled CDNOW data (RFM and value)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from crmanalytics._demo import demo_text

        sys.stdout.write(demo_text())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
