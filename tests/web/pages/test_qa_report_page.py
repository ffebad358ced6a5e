"""GET /qa — the quality report page: each role per the permission matrix, the figures equal
to `cxpm qa report` for the same query, and a scoped user's figures counting only its own
evaluations and contacts."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from datetime import datetime

import pytest
from typer.testing import CliRunner
from web_helpers import ROLE_USER

from cxpm.formatting import format_value
from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import save_form
from cxpm.qa.forms import parse_form_toml
from cxpm.qa.report import QaReport, build_qa_report
from cxpm.users.permissions import ROLES, has_permission

PERIOD = "2026-08"
FORM = '''id = "pgqa"
version = 1
title = "Report page form"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "verify"
  text = "Verified the caller"
  type = "yes_no"
  category = "compliance_critical"

  [[sections.items]]
  id = "resolve"
  text = "Resolved the need"
  type = "yes_no"
  category = "customer_critical"

  [[sections.items]]
  id = "offer"
  text = "Made the retention offer"
  type = "yes_no"
  category = "business_critical"

  [[sections.items]]
  id = "polite"
  text = "Polite"
  type = "yes_no"
  category = "non_critical"
'''


def _answers(i: int) -> dict[str, str]:
    return {"verify": "no" if i % 4 == 1 else "yes", "resolve": "no" if i % 3 == 0 else "yes",
            "offer": "no" if i % 5 == 2 else "yes", "polite": "no" if i % 2 else "yes"}


@pytest.fixture(scope="module")
def evaluated(world, web) -> dict[str, dict[str, str]]:
    """Evaluations of the first 24 answered contacts with the pgqa form (critical errors of
    every kind), by two evaluators: evaluation id -> {vendor, site, agent, answers...}."""
    state = world.client.app.state.web
    save_form(state.workspace, parse_form_toml(FORM, "pgqa.toml"), actor="test")
    answered = [r for r in web.rows if r["agent_id"]][:24]
    made = {}
    batch = []
    for i, row in enumerate(answered):
        evaluation_id = f"pgqa-{i}"
        batch.append(EvaluationInput(
            evaluation_id=evaluation_id, form_id="pgqa", contact_id=row["contact_id"],
            agent_id=row["agent_id"], evaluator_id="quinn" if i % 2 else "eve",
            evaluated_at=datetime(2026, 8, 4 + i % 3, 12, 0), answers=_answers(i)))
        made[evaluation_id] = {"vendor": row["vendor"], "site": row["site"],
                               "agent_id": row["agent_id"], **_answers(i)}
    with state.warehouse():
        save_evaluations(state.workspace, batch, actor="test")
    return made


def library_report(world, by: list[str], where: dict[str, list[str]] | None = None,
                   top: int = 10) -> QaReport:
    state = world.client.app.state.web
    ws = state.workspace
    with state.warehouse():
        return build_qa_report(ws.warehouse.tables(), period=PERIOD, by=by,
                               params=ws.metric_params(), top=top, where=where)


def _text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def page_table(page: str, table_id: str) -> list[dict[str, object]]:
    """Rows of a table on the page: its dimension cells and its data-field cells."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    if table is None:
        return []
    body = table.group(0).split("<tbody>", 1)[1]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        dims = [_text(c) for c in re.findall(r'<td class="dim">(.*?)</td>', tr, re.S)]
        fields = {name: _text(c) for name, c in
                  re.findall(r'<td[^>]*data-field="([a-z_]+)"[^>]*>(.*?)</td>', tr, re.S)}
        rows.append({"dims": dims, **fields})
    return rows


def _ratio(value: float | None) -> str:
    return format_value(value, "ratio")


def expected_rows(report: QaReport) -> list[dict[str, object]]:
    """The library's report as the page should show it."""
    rows = []
    for row in report.rows:
        cells: dict[str, object] = {
            "dims": [format_value(row.dimensions[d]) for d in report.by],
            "evaluations": format_value(row.evaluations),
            "population": format_value(row.population),
            "required": format_value(row.required),
            "adequate": {True: "adequate", False: "too small", None: "—"}[row.adequate],
            "qa_score": format_value(row.qa_score)}
        for metric in ("customer_critical_accuracy", "business_critical_accuracy",
                       "compliance_critical_accuracy", "noncritical_accuracy"):
            cell = getattr(row, metric)
            cells[metric] = _ratio(cell.value) + (
                f"{_ratio(cell.low)}–{_ratio(cell.high)}" if cell.low is not None else "")
        rows.append(cells)
    return rows


def expected_pareto(report: QaReport) -> list[dict[str, object]]:
    return [{"dims": [format_value(p.dimensions[d]) for d in report.by],
             "errors": format_value(p.errors), "share": _ratio(p.share),
             "cumulative_share": _ratio(p.cumulative_share)} for p in report.pareto]


def show(world, username: str, query: str = "") -> str:
    response = world.get(f"/qa?period={PERIOD}{query}", world.session(username))
    assert response.status_code == 200, response.text[:500]
    return response.text


@pytest.mark.parametrize("role", ROLES)
def test_qa_report_by_role(world, evaluated, role: str) -> None:
    response = world.get("/qa", world.session(ROLE_USER[role]))
    expected = 200 if has_permission(role, "qa:read") else 403
    assert response.status_code == expected
    if expected == 200:
        assert 'href="/qa/calibration"' in response.text
        assert ('href="/qa/evaluations/new"' in response.text) == \
            has_permission(role, "qa:evaluate")


def test_login_required(world) -> None:
    response = world.get("/qa", None)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("by", ["", "vendor", "agent_id", "evaluator_id"])
def test_page_equals_the_library(world, evaluated, by: str) -> None:
    page = show(world, "ada", f"&by={by}")
    report = library_report(world, [by] if by else [])
    assert report.rows and report.pareto
    assert page_table(page, "qa-report") == expected_rows(report)
    assert page_table(page, "qa-pareto") == expected_pareto(report)


def test_page_equals_the_cli(world, evaluated) -> None:
    from cxpm.cli.main import app

    page = show(world, "ana", "&by=site&top=2")
    state = world.client.app.state.web
    with state.warehouse():  # the server lets go of the warehouse between requests
        state.workspace.close_warehouse()
        result = CliRunner().invoke(app, ["qa", "report", "--period", PERIOD, "--by", "site",
                                          "--top", "2", "--format", "json",
                                          "--workspace", str(state.workspace.path)])
    assert result.exit_code == 0, result.output
    report = QaReport.model_validate(json.loads(result.output))
    assert page_table(page, "qa-report") == expected_rows(report)
    assert page_table(page, "qa-pareto") == expected_pareto(report)
    assert len(report.pareto) <= 2 * len(report.rows)


def test_vendor_user_counts_only_its_vendor(world, evaluated) -> None:
    page = show(world, "vic", "&by=vendor")
    rows = page_table(page, "qa-report")
    assert [r["dims"] for r in rows] == [["acme"]]
    assert "globex" not in page
    scoped = library_report(world, ["vendor"], where={"vendor": ["acme"]})
    assert rows == expected_rows(scoped)
    # Without grouping: still acme's figures only, not the total of both vendors.
    total_page = show(world, "vic")
    assert page_table(total_page, "qa-report") == expected_rows(
        library_report(world, [], where={"vendor": ["acme"]}))
    everyone = library_report(world, [])
    assert page_table(total_page, "qa-report") != expected_rows(everyone)
    # The Pareto counts acme's failed critical items only (counted from the answers).
    failed = Counter(item for e in evaluated.values() if e["vendor"] == "acme"
                     for item in ("verify", "resolve", "offer") if e[item] == "no")
    pareto = re.findall(r"<tr>\s*<td>([a-z]+)</td><td>[a-z-]+</td>\s*"
                        r'<td class="num strong" data-field="errors">(\d+)</td>', total_page)
    assert {item: int(n) for item, n in pareto} == dict(failed)
    assert sum(failed.values()) < sum(
        1 for e in evaluated.values() for item in ("verify", "resolve", "offer")
        if e[item] == "no")


def test_agent_sees_only_itself(world, evaluated) -> None:
    page = show(world, "al", "&by=agent_id")
    rows = page_table(page, "qa-report")
    assert [r["dims"] for r in rows] == [["a1"]]
    for other in ("a2", "a3", "a4"):
        assert f'<td class="dim">{other}</td>' not in page
    assert rows == expected_rows(library_report(world, ["agent_id"],
                                                where={"agent_id": ["a1"]}))
    by_evaluator = show(world, "al", "&by=evaluator_id")
    assert page_table(by_evaluator, "qa-report") == expected_rows(
        library_report(world, ["evaluator_id"], where={"agent_id": ["a1"]}))


def test_site_supervisor_sees_only_its_site(world, evaluated) -> None:
    page = show(world, "sue", "&by=site")
    assert [r["dims"] for r in page_table(page, "qa-report")] == [["north"]]
    assert page_table(page, "qa-pareto") == expected_pareto(
        library_report(world, ["site"], where={"site": ["north"]}))


@pytest.mark.parametrize("query", ["period=2026-13x", "by=item_id", "by=vendor'%20OR%201=1",
                                   "top=0", "top=999", "nonsense=1"])
def test_bad_input_is_400(world, query: str) -> None:
    response = world.get(f"/qa?{query}", world.session("ada"))
    assert response.status_code == 400
    assert "invalid request" in response.text


def test_a_month_without_evaluations(world, evaluated) -> None:
    page = show(world, "ada").replace(PERIOD, PERIOD)  # the month asked exists
    empty = world.get("/qa?period=2020-01", world.session("ada"))
    assert empty.status_code == 200
    assert "No evaluations in 2020-01" in empty.text
    assert 'id="qa-report"' in page and 'id="qa-report"' not in empty.text
