"""Command line: ``python -m crmanalytics demo`` and ``python -m crmanalytics report``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    from crmanalytics import __version__

    parser = argparse.ArgumentParser(
        prog="crmanalytics", description="Customer analytics over any dataframe."
    )
    parser.add_argument("--version", action="version", version=f"crmanalytics {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="summarise the bundled CDNOW data (RFM and value)")
    report = commands.add_parser(
        "report",
        help="validate data, run every analysis it allows, write an HTML report",
        description=(
            "Read CSV or Parquet files, validate them against the canonical schema, run "
            "every analysis the data allows and write DIR/index.html plus each result "
            "table as CSV and Parquet. Use --demo for the bundled data."
        ),
    )
    report.add_argument("transactions", nargs="?", help="transactions file (.csv or .parquet)")
    report.add_argument("--customers", help="customers file")
    report.add_argument("--interactions", help="interactions file")
    report.add_argument(
        "--columns",
        help="canonical=YourColumn pairs, comma separated "
        "(e.g. customer_id=CustomerID,timestamp=InvoiceDate)",
    )
    report.add_argument(
        "--config",
        help="TOML file: a [columns] table (canonical = 'YourColumn') and any long option "
        "as a key (invalid = 'drop', currency = 'GBP', transactions = 'file.csv' ...); "
        "options on the command line win; paths are relative to the file",
    )
    report.add_argument(
        "--invalid",
        choices=("raise", "drop"),
        help="rows breaking a schema rule: stop with the list of problems (raise, the "
        "default) or drop them and list them in the data-quality section (drop)",
    )
    report.add_argument("--observation-end", help="date the analysis looks back from")
    report.add_argument("--currency", help="currency code of the amounts, e.g. GBP")
    report.add_argument(
        "--non-products",
        help="product ids that are not merchandise (postage, fees), comma separated; "
        "left out of product rules; an id ending in * is a prefix",
    )
    report.add_argument(
        "--date-format",
        help="strptime format of text dates that are not ISO 8601, e.g. '%%m/%%d/%%Y %%H:%%M' "
        "for 12/1/2010 8:26",
    )
    report.add_argument("--title", help="page title")
    report.add_argument("--out", help="folder to write the report into (required)")
    report.add_argument(
        "--xlsx",
        action="store_true",
        default=None,
        help="also write every table into one Excel workbook (needs openpyxl)",
    )
    report.add_argument(
        "--demo", action="store_true", default=None, help="use the bundled demo data"
    )
    report.add_argument("--quiet", action="store_true", default=None, help="no progress on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmanalytics`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        The process exit code: 0 on success, 2 for bad input (with a one-paragraph
        message on stderr and no traceback).

    Examples
    --------
    >>> import contextlib, io
    >>> from crmanalytics.__main__ import main
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = main(["report", "missing.csv", "--out", "out", "--quiet"])
    >>> code
    2
    >>> print(err.getvalue().strip())  # doctest: +ELLIPSIS
    crmanalytics: The transactions file 'missing.csv' does not exist. Check the path.
    """
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from crmanalytics._demo import demo_text

        sys.stdout.write(demo_text())
        return 0
    return _report(args)


def _report(args: argparse.Namespace) -> int:
    from crmanalytics.errors import CRMError
    from crmanalytics.report._inputs import InputError

    try:
        return _run_report(args)
    except (CRMError, InputError) as exc:
        message = str(exc)
        if "could not be parsed as a datetime" in message:
            message += (
                "\nDates that are not ISO 8601 (2010-12-01 08:26) need their format: "
                "--date-format '%m/%d/%Y %H:%M' for 12/1/2010 8:26."
            )
        if "must not be missing" in message and "--invalid" not in message:
            message += "\nTo drop such rows and list them in the report, add --invalid drop."
        sys.stderr.write(f"crmanalytics: {message}\n")
        return EXIT_USAGE


def _run_report(args: argparse.Namespace) -> int:
    from crmanalytics.report import SECTIONS, build_report, prepare_inputs
    from crmanalytics.report._build import require_openpyxl
    from crmanalytics.report._demo_data import demo_inputs
    from crmanalytics.report._inputs import InputError, read_table, settings
    from crmanalytics.report._progress import Progress

    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the plot extra is missing
        raise InputError(
            "the report draws its figures with matplotlib, which is not installed; "
            "install it with: python -m pip install 'crmanalytics[plot]'"
        ) from exc
    matplotlib.use("Agg")  # files only, never a window
    options = settings(args)
    if options.xlsx:
        try:
            require_openpyxl()
        except ImportError as exc:
            raise InputError(f"--xlsx: {exc}") from exc
    if options.demo:
        inputs = demo_inputs()
    elif not options.transactions:
        raise InputError("give a transactions file (CSV or Parquet), or --demo for bundled data.")
    else:
        inputs = prepare_inputs(
            read_table(options.transactions, what="transactions"),
            customers=None
            if options.customers is None
            else read_table(options.customers, what="customers"),
            interactions=None
            if options.interactions is None
            else read_table(options.interactions, what="interactions"),
            columns=options.columns,
            observation_end=options.observation_end,
            source=f"Data: {Path(options.transactions).name}",
            invalid=options.invalid,
            currency=options.currency,
            non_products=options.non_products,
            date_format=options.date_format,
            **({"title": options.title} if options.title else {}),
        )
    progress = Progress(len(SECTIONS), quiet=options.quiet)
    page = build_report(inputs, options.out, progress=progress, xlsx=options.xlsx)
    progress.finish(f"Report written to {page}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
