"""The report tests' workspace (operation.py), built once, and its April 2026 report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from cxpm.reports.monthly import MonthlyReport, monthly_report
from cxpm.reports.render import render_html
from cxpm.workspace import Workspace, open_workspace

from . import operation

# The day overdue is judged against: action 1 (due 2026-04-30) is 5 days late.
TODAY = date(2026, 5, 5)


@pytest.fixture(scope="package")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = operation.build_workspace(tmp_path_factory.mktemp("report") / "ws")
    operation.add_actions(path)
    ws = open_workspace(path)
    yield ws
    ws.close()


@pytest.fixture(scope="package")
def report(report_ws: Workspace) -> MonthlyReport:
    return monthly_report(report_ws, period="2026-04", today=TODAY)


@pytest.fixture(scope="package")
def html(report: MonthlyReport) -> str:
    return render_html(report)


@pytest.fixture(scope="package")
def static_html(report: MonthlyReport) -> str:
    return render_html(report, static=True)
