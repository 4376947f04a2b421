"""The ``crmanalytics report`` command as a library: validate, analyse, write HTML.

The report is a list of sections (:data:`SECTIONS`), each one small function that takes
the prepared :class:`ReportInputs` and fills a section (``report._document.Section``)
with results, or says why the data do not allow it.

Examples
--------
>>> from crmanalytics.report import SECTIONS, build_report, prepare_inputs
>>> [spec.title for spec in SECTIONS][:2]
['Overview', 'Data quality']
"""

from crmanalytics.report._build import ReportInputs, build_report, prepare_inputs
from crmanalytics.report._sections import SECTIONS, SectionSpec

__all__ = ["SECTIONS", "ReportInputs", "SectionSpec", "build_report", "prepare_inputs"]
