"""The monthly report as one self-contained HTML page, and as PDF.

Interactive mode (the default) embeds the Vega, Vega-Lite and vega-embed JavaScript once,
inline, with every chart's Vega-Lite spec in one JSON block: the page needs no network.
Static mode draws each chart to SVG here (vl-convert) and inlines the SVG instead, for PDF
and for readers without JavaScript."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
from markupsafe import Markup

from cxpm.errors import CxpmError
from cxpm.formatting import format_value
from cxpm.reports import charts as chart_specs
from cxpm.reports.monthly import MonthlyReport
from cxpm.review.spc_rules import RULE_DESCRIPTIONS
from cxpm.scorecard import months_back

TEMPLATES = Path(__file__).parent / "templates"
PDF_INSTALL_HINT = ("PDF output needs WeasyPrint: pip install 'cxpm[pdf]' "
                    "(or pip install weasyprint)")


@cache
def vega_javascript() -> str:
    """vega-embed with Vega-Lite and Vega, bundled by vl-convert for the Vega-Lite version
    Altair writes specs for."""
    import vl_convert

    version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=version)


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert

    version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    return vl_convert.vegalite_to_svg(spec, vl_version=version)


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: `</` cannot end it early."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _fmt(value: Any, unit: str | None = None) -> str:
    return format_value(value, unit)


def _gap(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:+.1f} pp"
    return f"{value:+,.2f}" if abs(value) < 100 else f"{value:+,.0f}"


def _whole(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _scope(dimensions: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in dimensions.items()) or "all"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = _fmt
    env.filters["gap"] = _gap
    env.filters["scope"] = _scope
    env.filters["whole"] = _whole
    return env


def report_charts(report: MonthlyReport) -> dict[str, dict[str, Any]]:
    """Every chart of the page by element id: `spark-N` for scorecard row N, `chart-N` for
    control chart N."""
    card = report.scorecard
    months = [m.isoformat()[:7] for m in months_back(date.fromisoformat(card.period + "-01"),
                                                     card.consistency_periods)]
    specs: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(card.rows):
        if sum(v is not None for v in row.trend) >= 2:
            specs[f"spark-{index}"] = chart_specs.sparkline_spec(row.trend, months, row.unit,
                                                                 row.target)
    for index, chart in enumerate(report.charts):
        specs[f"chart-{index}"] = chart_specs.control_chart_spec(chart)
    return specs


def render_html(report: MonthlyReport, *, static: bool = False) -> str:
    """The page. `static=True` inlines each chart as SVG instead of JavaScript."""
    specs = report_charts(report)
    if static:
        drawn = {key: Markup(_svg(spec)) for key, spec in specs.items()}
        script, specs_json = "", ""
    else:
        drawn = {}
        script, specs_json = Markup(vega_javascript()), Markup(script_json(specs))
    card = report.scorecard
    template = _environment().get_template("monthly.html")
    return template.render(
        report=report, card=card, review=report.review, static=static, charts=specs,
        drawn=drawn, vega_script=script, specs_json=specs_json,
        with_targets=any(r.target is not None for r in card.rows),
        missed=report.missed, overdue=report.overdue_actions,
        rules=RULE_DESCRIPTIONS, reasons={"missed_target": "missed target",
                                          "warning": "warning", "signal": "special cause"})


def pdf_engine() -> Any:
    """The WeasyPrint module, or a one-line error saying how to install it. Call it before
    the work when PDF output is asked for."""
    try:
        import weasyprint
    except ImportError:
        raise CxpmError(PDF_INSTALL_HINT) from None
    except OSError as exc:  # WeasyPrint imports, but its system libraries (Pango) are missing
        raise CxpmError(f"WeasyPrint cannot start ({exc}); see its installation guide for "
                        "the system libraries it needs") from None
    return weasyprint


def write_pdf(report: MonthlyReport, path: Path) -> None:
    """The static page printed to PDF with WeasyPrint (the optional extra cxpm[pdf])."""
    pdf_engine().HTML(string=render_html(report, static=True)).write_pdf(str(path))
