"""Reports: the monthly performance report (monthly.py gathers the data as a MonthlyReport;
charts.py builds its Vega-Lite charts; render.py writes the self-contained HTML page and the
PDF). docs/reports.md describes the report."""

from cxpm.reports.monthly import MonthlyReport, build_monthly_report, monthly_report

__all__ = ["MonthlyReport", "build_monthly_report", "monthly_report"]
