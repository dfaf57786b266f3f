"""The privacy audit report: the evaluation, the model's privacy ledger and the canary audit
as one self-contained HTML page and its JSON.

>>> from tabgan.report import audit
>>> report = audit(train, synthetic, holdout=holdout, model=model)  # doctest: +SKIP
>>> report.write_html("report.html")  # doctest: +SKIP

The report reads the evaluation's results and the ledger; it measures nothing itself, and
it never prints a row of the real data. See ``docs/audit.md``.
"""

from tabgan.report.audit_report import AuditReport, audit
from tabgan.report.document import SCHEMA_VERSION
from tabgan.report.verdicts import THRESHOLDS, Threshold, Verdict

__all__ = ["audit", "AuditReport", "SCHEMA_VERSION", "THRESHOLDS", "Threshold", "Verdict"]
