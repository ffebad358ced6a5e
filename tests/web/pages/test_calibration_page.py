"""/qa/calibration — the list of sessions, a session's report (equal to `cxpm qa calibration
report`) and the new-session form; a scoped user sees only sessions wholly within its
scope: one reaching beyond it answers 403 with the reason, one outside it 404."""

from __future__ import annotations

import html
import re
from datetime import datetime
from statistics import mean

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import AGENT_VENDOR, PASSWORD, ROLE_USER

from cxpm.qa.calibration import CalibrationReport, calibration_report, list_sessions, save_session
from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import save_form
from cxpm.qa.forms import parse_form_toml
from cxpm.store.models import AuditLog, QaEvaluation
from cxpm.users.accounts import add_user
from cxpm.users.permissions import ROLES, has_permission

FORM = '''id = "pgcal"
version = 1
title = "Calibration page form"
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
  id = "polite"
  text = "Polite"
  type = "yes_no"
  category = "non_critical"

  [[sections.items]]
  id = "tone"
  text = "Tone"
  type = "scale"
  category = "non_critical"
  min = 1
  max = 5
'''
# What each contact's evaluation should say; "pgexp" (the expert) and "pgx2" score it so,
# "pgx3" differs on one tone, "pglen" passes every yes/no item and gives tone 5.
TRUTH = [{"verify": "yes", "resolve": "yes", "polite": "yes", "tone": "4"},
         {"verify": "yes", "resolve": "no", "polite": "yes", "tone": "3"},
         {"verify": "no", "resolve": "yes", "polite": "no", "tone": "2"},
         {"verify": "yes", "resolve": "yes", "polite": "no", "tone": "5"}]
EVALUATORS = ("pgexp", "pgx2", "pgx3", "pglen")
# session -> agents whose contacts it scores (web_helpers: a1, a2 acme; a3, a4 globex;
# a1, a3 north).
SESSIONS = {"pgcal-acme": ("a1", "a2"), "pgcal-mixed": ("a1", "a3"),
            "pgcal-globex": ("a3", "a4"), "pgcal-one": ("a1",)}


def answers_of(evaluator: str, n: int) -> dict[str, str]:
    truth = dict(TRUTH[n % len(TRUTH)])
    if evaluator == "pgx3" and n == 0:
        truth["tone"] = "5"
    if evaluator == "pglen":
        truth = {k: ("5" if k == "tone" else "yes") for k in truth}
    return truth


@pytest.fixture(scope="module")
def sessions(world, web) -> dict[str, list[str]]:
    """The sessions above (pgcal-one with a single evaluator, pgcal-empty with none) and a
    scoped QA manager, qv (vendor=acme): session -> contact ids."""
    state = world.client.app.state.web
    ws = state.workspace
    save_form(ws, parse_form_toml(FORM, "pgcal.toml"), actor="test")
    batch = []
    contacts: dict[str, list[str]] = {}
    for session, agents in SESSIONS.items():
        rows = [r for r in web.rows if r["agent_id"] in agents][:4]
        contacts[session] = [r["contact_id"] for r in rows]
        evaluators = ("pgexp",) if session == "pgcal-one" else EVALUATORS
        for n, row in enumerate(rows):
            for evaluator in evaluators:
                batch.append(EvaluationInput(
                    evaluation_id=f"{session}-{evaluator}-{n}", form_id="pgcal",
                    contact_id=row["contact_id"], agent_id=row["agent_id"],
                    evaluator_id=evaluator, evaluated_at=datetime(2026, 8, 5, 9, n),
                    calibration_session_id=session, answers=answers_of(evaluator, n)))
    with state.warehouse():
        save_evaluations(ws, batch, actor="test")
    save_session(ws, "pgcal-acme", actor="test", expert_id="pgexp", title="August")
    save_session(ws, "pgcal-empty", actor="test")
    add_user(ws, "qv", role="qa", scope="vendor=acme", password=PASSWORD, actor="test")
    assert {AGENT_VENDOR[a] for a in SESSIONS["pgcal-acme"]} == {"acme"}
    return contacts


def _text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()


def table_rows(page: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, table_id
    body = table.group(0).split("<tbody>", 1)[1]
    return [[" ".join(_text(c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def _three(value: float | None, undefined: str = "undefined") -> str:
    return undefined if value is None else f"{value:.3f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def library(world, session_id: str) -> CalibrationReport:
    ws = world.client.app.state.web.workspace
    return calibration_report(ws, session_id, ws.metric_params())


def listed(page: str) -> set[str]:
    return set(re.findall(r'href="/qa/calibration/([^"]+)"', page))


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(world, sessions, role: str) -> None:
    raw = world.session(ROLE_USER[role])
    expected = 200 if has_permission(role, "qa:read") else 403
    assert world.get("/qa/calibration", raw).status_code == expected
    detail = world.get("/qa/calibration/pgcal-acme", raw)
    if role == "agent":
        # al (agent=a1): pgcal-acme scores a2's contacts too.
        assert detail.status_code == 403
    elif role in ("supervisor",):
        assert detail.status_code == 403  # sue (site=north): a2 works at south
    else:
        assert detail.status_code == expected, (role, detail.text[:300])
    assert world.get("/qa/calibration/nope", raw).status_code == (404 if expected == 200
                                                                  else 403)


def test_login_required(world) -> None:
    for path in ("/qa/calibration", "/qa/calibration/pgcal-acme"):
        response = world.get(path, None)
        assert response.status_code == 303 and "/login?next=" in response.headers["location"]


def test_list_shows_every_session_to_scope_all(world, sessions) -> None:
    page = world.get("/qa/calibration", world.session("ana")).text
    known = {s.session_id for s in list_sessions(world.client.app.state.web.workspace)}
    assert listed(page) == known >= {*SESSIONS, "pgcal-empty"}
    row = next(r for r in table_rows(page, "calibration-sessions") if r[0] == "pgcal-acme")
    assert row[1:6] == ["August", "pgexp", str(4 * len(EVALUATORS)), "4",
                        str(len(EVALUATORS))]


def test_report_equals_the_library(world, sessions) -> None:
    page = world.get("/qa/calibration/pgcal-acme", world.session("quinn")).text
    report = library(world, "pgcal-acme")
    assert 'id="reference">expert pgexp<' in page
    assert table_rows(page, "agreement") == [
        [a.what, a.level, _three(a.alpha), _ratio(a.percent_agreement),
         _three(a.fleiss_kappa, "—"), str(a.units), str(a.raters), str(a.pairable_values)]
        for a in report.agreement]
    evaluators = table_rows(page, "evaluators")
    assert [r[:5] for r in evaluators] == [
        [e.evaluator_id, str(e.contacts),
         "—" if e.mean_score_difference is None else f"{e.mean_score_difference:+.2f}",
         "—" if e.mean_abs_score_difference is None else f"{e.mean_abs_score_difference:.2f}",
         _ratio(e.flag_agreement)] for e in report.evaluators]
    assert table_rows(page, "items") == [
        [i.item_id, _three(i.alpha), _ratio(i.percent_agreement), str(i.pairable_values),
         "low" if i.low else ""] for i in report.items[:10]]


def test_lenient_evaluator_is_flagged(world, sessions) -> None:
    """pglen against the expert, from the saved scores: more than 5 points higher."""
    with Session(world.client.app.state.web.workspace.app_db) as db:
        scores = {(e.evaluator_id, e.contact_id): e.score for e in db.scalars(
            select(QaEvaluation).where(QaEvaluation.calibration_session_id == "pgcal-acme"))}
    difference = mean(scores[("pglen", c)] - scores[("pgexp", c)]
                      for c in sessions["pgcal-acme"])
    assert difference > 5
    page = world.get("/qa/calibration/pgcal-acme", world.session("ada")).text
    rows = {r[0]: r for r in table_rows(page, "evaluators")}
    assert rows["pglen"][2] == f"{difference:+.2f}"
    assert "out of tolerance" in rows["pglen"][5]
    assert rows["pgx2"][2] == "+0.00" and rows["pgx2"][5] == "ok"


def test_session_with_one_evaluator_shows_the_problem(world, sessions) -> None:
    response = world.get("/qa/calibration/pgcal-one", world.session("ada"))
    assert response.status_code == 200
    assert "needs evaluations by at least two evaluators" in response.text


@pytest.mark.parametrize("username", ["vic", "qv"])
def test_vendor_scope_sees_only_sessions_within_it(world, sessions, username: str) -> None:
    raw = world.session(username)
    page = world.get("/qa/calibration", raw).text
    assert listed(page) == {"pgcal-acme", "pgcal-one"}  # a1 and a2 work for acme
    assert "not shown" in page
    assert world.get("/qa/calibration/pgcal-acme", raw).status_code == 200
    mixed = world.get("/qa/calibration/pgcal-mixed", raw)
    assert mixed.status_code == 403
    assert "outside your scope (vendor=acme)" in html.unescape(mixed.text)
    for hidden in ("pgcal-globex", "pgcal-empty", "nope"):
        assert world.get(f"/qa/calibration/{hidden}", raw).status_code == 404


def test_agent_sees_no_session_of_others(world, sessions) -> None:
    raw = world.session("al")
    assert listed(world.get("/qa/calibration", raw).text) == {"pgcal-one"}
    assert world.get("/qa/calibration/pgcal-one", raw).status_code == 200
    assert world.get("/qa/calibration/pgcal-globex", raw).status_code == 404


def test_create_a_session(world, sessions) -> None:
    raw = world.session("quinn")
    assert 'action="/qa/calibration"' in world.get("/qa/calibration", raw).text
    created = world.post("/qa/calibration", raw, {"session_id": "pgcal-new",
                                                 "title": "September", "expert_id": "pgexp"})
    assert created.status_code == 303
    assert created.headers["location"] == "/qa/calibration/pgcal-new"
    info = next(s for s in list_sessions(world.client.app.state.web.workspace)
                if s.session_id == "pgcal-new")
    assert (info.title, info.expert_id, info.evaluations) == ("September", "pgexp", 0)
    with Session(world.client.app.state.web.workspace.app_db) as db:
        audit = db.scalar(select(AuditLog).where(AuditLog.entity_id == "pgcal-new"))
        assert (audit.actor, audit.action) == ("quinn", "create")
    page = world.get("/qa/calibration/pgcal-new", raw)
    assert page.status_code == 200 and "at least two evaluators" in page.text
    again = world.post("/qa/calibration", raw, {"session_id": "pgcal-new"})
    assert again.status_code == 400 and "exists already" in again.text


@pytest.mark.parametrize("fields", [{"session_id": "bad id!"}, {"session_id": ""},
                                    {"session_id": "ok", "expert_id": "x' OR 1=1"},
                                    {"session_id": "x" * 121}])
def test_bad_input_is_400_with_the_problem(world, sessions, fields) -> None:
    response = world.post("/qa/calibration", world.session("quinn"), fields)
    assert response.status_code == 400
    assert 'class="error"' in response.text
    field = "expert id" if "expert_id" in fields else "session id"
    assert field in response.text
    known = {s.session_id for s in list_sessions(world.client.app.state.web.workspace)}
    assert fields["session_id"] not in known


def test_create_needs_csrf_permission_and_scope_all(world, sessions) -> None:
    missing = world.post("/qa/calibration", world.session("quinn"),
                         {"session_id": "pgcal-nocsrf"}, csrf=None)
    assert missing.status_code == 403
    wrong = world.post("/qa/calibration", world.session("quinn"),
                       {"session_id": "pgcal-nocsrf"}, csrf="forged")
    assert wrong.status_code == 403
    for username in ("ana", "sue", "al", "vic", "qv"):
        raw = world.session(username)
        refused = world.post("/qa/calibration", raw, {"session_id": f"pgcal-{username}"})
        assert refused.status_code == 403, username
        assert 'action="/qa/calibration"' not in world.get("/qa/calibration", raw).text
    known = {s.session_id for s in list_sessions(world.client.app.state.web.workspace)}
    assert not {"pgcal-nocsrf", "pgcal-ana", "pgcal-vic", "pgcal-qv"} & known
