"""The ``crmanalytics report`` command as a library: validate, analyse, write HTML.

Examples
--------
>>> from crmanalytics.report import ReportInputs, build_report, prepare_inputs
>>> callable(build_report)
True
"""

from crmanalytics.report._build import ReportInputs, build_report, prepare_inputs

__all__ = ["ReportInputs", "build_report", "prepare_inputs"]
