"""The monthly report page: self-contained, with the figures of the report."""

from __future__ import annotations

import json
import re

from cxpm.reports.monthly import MonthlyReport
from cxpm.reports.render import report_charts, vega_javascript

from . import operation

SPEC_BLOCK = re.compile(
    r'<script type="application/json" id="cxpm-chart-specs">(.*?)</script>', re.S)


def test_page_needs_no_network(html: str) -> None:
    # One copy of the Vega JavaScript for the whole page, inline.
    assert html.count(vega_javascript()) == 1
    page = html.replace(vega_javascript(), "")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<script") == 3
    # Every chart carries its data: none is loaded from a URL.
    specs = json.loads(SPEC_BLOCK.search(html).group(1))
    assert specs and '"url"' not in json.dumps(specs)


def test_page_embeds_every_chart_spec(html: str, report: MonthlyReport) -> None:
    specs = json.loads(SPEC_BLOCK.search(html).group(1))
    assert specs == json.loads(json.dumps(report_charts(report)))
    for key in specs:
        assert f'id="{key}"' in html
    chart = report.charts[0]
    spec = specs["chart-0"]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    values = spec["layer"][0]["data"]["values"]
    assert [(v["period"], v["value"], v["signal"]) for v in values] == [
        (p.period[:10], p.value, bool(p.signals)) for p in chart.points]
    target_layer = spec["layer"][-1]
    assert target_layer["data"]["values"] == [{"target": operation.ABANDON_TARGET}]


def test_page_shows_titles_statuses_targets_and_actions(html: str,
                                                        report: MonthlyReport) -> None:
    assert f"<title>Monthly performance report 2026-04 · {report.workspace}</title>" in html
    for row in report.scorecard.rows:
        assert row.title in html
    assert '<span class="status missed">missed</span>' in html
    assert '<span class="status met">met</span>' in html
    assert ">5.0%</td>" in html  # the abandonment target
    assert ">1,000</td>" in html  # the AHT target, in seconds
    assert "Staff the morning peak" in html and "5 days late" in html
    assert "Fix the IVR callback option" in html and "4 days late" in html
    assert "task 1 overdue" in html


def test_static_page_inlines_svg(static_html: str, report: MonthlyReport) -> None:
    assert "<script" not in static_html
    assert static_html.count("<svg") >= len(report_charts(report))
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", static_html, re.I)
    charts = static_html.split('class="chart-card"')[1:]
    assert len(charts) == len(report.charts)
    first = charts[0]
    assert "Abandonment rate" in first and "<svg" in first
    # The signalling week is drawn in red with its rule id.
    assert "#c62828" in first and ">we1<" in first
