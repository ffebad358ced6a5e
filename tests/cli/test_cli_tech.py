"""`cxpm tech`: through the real entry point."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.workspace import Workspace

BOT_FORM = Path(__file__).parents[2] / "examples" / "qa" / "bot-form.toml"
PERFECT = {"intent_understood": "yes", "clarification_loops": "yes",
           "correct_answer": "correct", "no_invented_policy": "yes",
           "transaction_correct": "yes", "data_protection": "yes",
           "disclosed_automation": "yes", "correct_handoff": "yes", "context_passed": "yes",
           "tone": 5, "concise": "yes"}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_tech_commands(cli, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # flags fit on one line
    w = ("-w", str(workspace.path))
    bad = cli("tech", "add", "faq", "--name", "FAQ", "--kind", "bot", "--channel", "fax", *w)
    assert bad.exit_code == 1 and "unknown channel 'fax'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    bad_date = cli("tech", "add", "faq", "--name", "FAQ", "--kind", "bot", "--live-from",
                   "2026-13-01", *w)
    assert bad_date.exit_code == 1
    assert "--live-from expects YYYY-MM-DD, got '2026-13-01'" in bad_date.stderr

    added = cli("tech", "add", "faq", "--name", "FAQ bot", "--kind", "bot", "--channel",
                "chat", "--channel", "messaging", "--version", "1", "--agent-id", "bot-faq",
                "--live-from", "2026-02-01", "--owner", "ana", "--actor", "ana",
                "--format", "json", *w)
    assert added.exit_code == 0, added.stderr
    assert (added.json()["status"], added.json()["channels"]) == ("live", ["chat",
                                                                         "messaging"])
    listed = cli("tech", "list", "--today", "2026-03-01", "--format", "json", *w)
    assert listed.json()[0]["flags"] == ["never verified", "no ethics-policy attestation",
                                         "no data-security review"]

    verified = cli("tech", "verify", "faq", "--method", "test_set", "--cases", "50",
                   "--correct", "48", "--date", "2026-02-01", "--verifier", "qa", *w)
    assert verified.exit_code == 0, verified.stderr
    assert "verification 1 PASS" in flat(verified.stdout)
    for args in (("attest", "faq", "--policy-version", "2026.1", "--review-due",
                  "2026-08-01", "--date", "2026-02-01"),
                 ("security-review", "faq", "--result", "pass", "--notes", "pen test ok",
                  "--date", "2026-02-01")):
        assert cli("tech", *args, *w).exit_code == 0
    clean = cli("tech", "list", "--flagged", "--today", "2026-03-01", *w)
    assert "no flagged technologies" in clean.stdout

    changed = cli("tech", "change", "faq", "--description", "LLM upgrade", "--version", "2",
                  "--model", "m-2", "--date", "2026-03-10", *w)
    assert changed.exit_code == 0, changed.stderr
    assert "needs a new verification" in flat(changed.stdout)
    table = flat(cli("tech", "list", "--today", "2026-04-01", *w).stdout)
    assert "not verified since version 2" in table
    shown = cli("tech", "show", "faq", "--today", "2026-04-01", "--format", "json", *w).json()
    assert (shown["current_verification"], shown["changes"][0]["after"]) == (
        None, {"model": "m-2", "version": "2"})
    assert "Change log" in cli("tech", "show", "faq", *w).stdout

    import_form(workspace, BOT_FORM, actor="qa")
    start = datetime(2026, 3, 11, 9)
    save_evaluations(workspace, [EvaluationInput(
        evaluation_id=f"v{i}", form_id="bot", agent_id="bot-faq",
        evaluated_at=start + timedelta(hours=i), answers=PERFECT) for i in range(3)],
        actor="qa")
    mixed = cli("tech", "verify", "faq", "--method", "test_set", "--cases", "5",
                "--correct", "5", "--form", "bot", *w)
    assert mixed.exit_code == 1 and "are for --method qa_form" in mixed.stderr
    qa = cli("tech", "verify", "faq", "--method", "qa_form", "--form", "bot@1",
             "--evaluation", "v0", "--evaluation", "v1", "--evaluation", "v2",
             "--min-evaluations", "3", "--date", "2026-03-20", "--format", "json", *w)
    assert qa.exit_code == 0, qa.stderr
    record = qa.json()["verifications"][-1]
    assert (record["result"], record["verified_version"], record["details"]["evaluations"]) \
        == ("pass", "2", 3)
    assert cli("tech", "list", "--flagged", "--today", "2026-04-01", "--format", "json",
               *w).json() == []
    overdue = cli("tech", "list", "--flagged", "--today", "2026-08-02", "--format", "json",
                  *w).json()
    assert overdue[0]["flags"] == ["ethics review overdue (due 2026-08-01)"]

    unknown = cli("tech", "show", "nope", *w)
    assert unknown.exit_code == 1 and "no technology 'nope'" in unknown.stderr


def test_review_lists_flagged_technologies_after_the_ranked_findings(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = Path(__file__).resolve().parents[1] / "review" / "review_data.py"
    spec = importlib.util.spec_from_file_location("tech_cli_review_data", path)
    review_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(review_data)
    w = ("-w", str(review_data.build_drill_workspace(tmp_path)))
    assert cli("tech", "add", "faq", "--name", "FAQ bot", "--kind", "bot", "--live-from",
               "2026-01-01", *w).exit_code == 0
    assert cli("tech", "add", "later", "--name", "Planned bot", "--kind", "bot",
               *w).exit_code == 0

    data = cli("review", "--period", "2026-03", "--format", "json", *w).json()
    kinds = [f["kind"] for f in data["findings"]]
    assert kinds.count("technology") == 1 and kinds[-1] == "technology"
    assert data["findings"][-1]["signals"] == ["never verified",
                                               "no ethics-policy attestation",
                                               "no data-security review"]
    table = cli("review", "--period", "2026-03", "--top", "1", *w)
    assert table.exit_code == 0, table.stderr
    text = flat(table.stdout)
    assert text.index("top 1 of") < text.index("Live technologies that need attention")
    assert "FAQ bot" in text and "never verified" in text and "Planned bot" not in text
