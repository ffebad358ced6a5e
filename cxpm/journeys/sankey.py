"""The journey map: a self-contained HTML page with a Sankey diagram of the journey flows and
the top friction points under it (plotly.js embedded, so the page works offline)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from cxpm.files import atomic_output, check_writable
from cxpm.formatting import format_value
from cxpm.journeys.flows import StepFlow, step_flows
from cxpm.journeys.friction import KIND_TITLES, FrictionPoint, friction_points
from cxpm.journeys.selection import ABANDONED, END, select_journeys

DEFAULT_TOP_FLOWS = 40
DEFAULT_TOP_FRICTION = 10
_COLOURS = {"bot": "#4c78a8", "agent": "#f58518", END: "#54a24b", ABANDONED: "#e45756"}
_OTHER = "#9d9d9d"


def node_name(label: str, step: int | None) -> str:
    """A Sankey node: the step label with its position, e.g. "agent:billing (2)", so a loop
    (agent:billing then agent:billing) does not make a cycle, which a Sankey cannot draw.
    The outcomes "end" and "abandoned" are one node each."""
    return label if step is None else f"{label} ({step})"


def largest_connected(flows: Sequence[StepFlow], limit: int) -> list[StepFlow]:
    """Up to `limit` flows, each time the largest one whose source is a first step or a node
    an already chosen flow leads to: a diagram of only the largest flows would leave deeper
    steps without their way in, and the Sankey would draw them as journey starts."""
    remaining = sorted(flows, key=lambda f: -f.count)
    reached: set[str] = set()
    chosen: list[StepFlow] = []
    while remaining and len(chosen) < limit:
        for position, flow in enumerate(remaining):
            if flow.source_step == 1 or node_name(flow.source, flow.source_step) in reached:
                chosen.append(remaining.pop(position))
                reached.add(node_name(flow.target, flow.target_step))
                break
        else:
            break
    return chosen


def sankey_data(flows: Sequence[StepFlow]) -> dict[str, list[Any]]:
    """Nodes and links of the diagram, indexes into the node list."""
    nodes: dict[str, int] = {}

    def index(name: str) -> int:
        return nodes.setdefault(name, len(nodes))

    sources, targets, values = [], [], []
    for flow in flows:
        sources.append(index(node_name(flow.source, flow.source_step)))
        targets.append(index(node_name(flow.target, flow.target_step)))
        values.append(flow.count)
    return {"nodes": list(nodes), "sources": sources, "targets": targets, "values": values}


def _colour(node: str) -> str:
    return _COLOURS.get(node.split(":", 1)[0] if ":" in node else node, _OTHER)


def _translucent(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.35)"


def sankey_html(flows: Sequence[StepFlow]) -> str:
    """The diagram as an HTML fragment with plotly.js inline."""
    return sankey_figure(flows).to_html(full_html=False, include_plotlyjs=True,
                                        config={"displayModeBar": False, "responsive": True})


def sankey_figure_json(flows: Sequence[StepFlow]) -> str:
    """The diagram as plotly figure JSON ({"data": ..., "layout": ...}), for a page that
    draws it with its own copy of plotly.js."""
    return sankey_figure(flows).to_json()


def sankey_figure(flows: Sequence[StepFlow]) -> Any:
    """The diagram as a plotly Figure."""
    import plotly.graph_objects as go

    data = sankey_data(flows)
    colours = [_colour(n) for n in data["nodes"]]
    figure = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": data["nodes"], "color": colours, "pad": 18, "thickness": 16,
              "line": {"width": 0}},
        link={"source": data["sources"], "target": data["targets"], "value": data["values"],
              "color": [_translucent(colours[s]) for s in data["sources"]],
              "hovertemplate": "%{source.label} → %{target.label}: %{value} journeys"
                               "<extra></extra>"},
    ))
    figure.update_layout(template="none", font={"size": 12}, height=620,
                         margin={"l": 20, "r": 20, "t": 20, "b": 20})
    return figure


def _friction_table(points: Sequence[FrictionPoint], currency: str | None) -> str:
    if not points:
        return "<p>No friction points in these journeys.</p>"
    head = ("<tr><th>#</th><th>Friction</th><th>Where</th><th>Customers</th>"
            "<th>Journeys</th><th>Extra contacts</th><th>Extra handle time (h)</th>"
            f"<th>Cost{f' ({html.escape(currency)})' if currency else ''}</th>"
            "<th>CSAT difference (points)</th></tr>")
    rows = []
    for p in points:
        difference = None if p.csat_difference is None else p.csat_difference * 100
        cells = [p.rank, KIND_TITLES.get(p.kind, p.kind), p.location, p.customers, p.journeys,
                 p.extra_contacts, p.extra_handle_s / 3600, p.cost, difference]
        rows.append("<tr>" + "".join(
            f"<td>{html.escape(format_value(c))}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px 32px;
       color: #222; }}
h1 {{ font-size: 22px; margin: 0 0 4px 0; }}
h2 {{ font-size: 17px; margin: 28px 0 8px 0; }}
p.note {{ color: #555; margin: 2px 0; font-size: 13px; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }}
th {{ background: #f4f4f4; }}
td:nth-child(2), td:nth-child(3), th:nth-child(2), th:nth-child(3) {{ text-align: left; }}
.legend span {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 14px;
                vertical-align: middle; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="note">{summary}</p>
<p class="note legend">{legend}</p>
{diagram}
<h2>Top friction points</h2>
<p class="note">Ranked by customers affected, then extra contacts (the steps the friction
led to, to the end of the journey). Cost prices the extra handle time; CSAT difference is the
top-two-box share of journeys with the point minus journeys without it on the same
programs (— when too few surveys).</p>
{friction}
</body>
</html>
"""


def map_page(flows: Sequence[StepFlow], points: Sequence[FrictionPoint], *, title: str,
             summary: str, currency: str | None = None) -> str:
    """The whole page: title, Sankey diagram, friction table."""
    legend = "".join(f'<span style="background:{colour}"></span>{html.escape(name)}'
                     for name, colour in (*_COLOURS.items(), ("unknown", _OTHER)))
    return _PAGE.format(title=html.escape(title), summary=html.escape(summary),
                        legend=legend, diagram=sankey_html(flows),
                        friction=_friction_table(points, currency))


def write_journey_map(tables: Mapping[str, ir.Table], path: Path, *,
                      period: str | None = None, top_flows: int = DEFAULT_TOP_FLOWS,
                      top_friction: int = DEFAULT_TOP_FRICTION,
                      params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write the journey map page of the journeys that started in `period` (YYYY-MM; all
    when None) to `path`: the `top_flows` largest flows and the `top_friction` friction
    points. The path is checked before anything is computed."""
    path = Path(path)
    check_writable(path)
    flows = step_flows(tables, period)
    shown = largest_connected(flows, top_flows) if top_flows > 0 else list(flows)
    points = friction_points(tables, period=period, params=params)[:max(top_friction, 0)]
    journeys, steps = select_journeys(tables, period)
    journey_count = journeys.count().to_pyarrow().as_py()
    step_count = steps.count().to_pyarrow().as_py()
    currency = _currency(tables)
    title = "Customer journeys" + (f", {period}" if period else "")
    summary = (f"{journey_count:,} journeys, {step_count:,} steps; the {len(shown)} largest "
               f"of {len(flows)} flows between steps that connect to a first step are drawn. "
               "Node names carry the step number in the journey, e.g. agent:billing (2).")
    page = map_page(shown, points, title=title, summary=summary, currency=currency)
    with atomic_output(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return {"path": str(path), "journeys": journey_count, "steps": step_count,
            "flows": len(flows), "flows_shown": len(shown), "friction_points": len(points)}


def _currency(tables: Mapping[str, ir.Table]) -> str | None:
    """The costs' currency when there is exactly one."""
    costs = tables.get("costs")
    if costs is None:
        return None
    currencies = costs.select("currency").distinct().limit(2).to_pyarrow().column(0)
    return currencies[0].as_py() if len(currencies) == 1 else None
