"""`cxpm qa ...` through the real entry point: JSON contracts, table output, errors as one
line on stderr (exit 1), never a traceback."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FORMS = sorted((ROOT / "examples" / "qa").glob("*.toml"))

FORM = '''id = "svc"
version = {version}
title = "Service"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "cc"
  text = "Customer-critical"
  type = "yes_no"
  category = "customer_critical"

  [[sections.items]]
  id = "comp"
  text = "Compliance-critical"
  type = "yes_no"
  category = "compliance_critical"

  [[sections.items]]
  id = "nc"
  text = "Non-critical"
  type = "yes_no"
  category = "non_critical"
  weight = {weight}
'''

CONTACTS = """contact_id,channel,agent_id,program,arrived_at,answered_at,ended_at,abandoned
c1,voice,A1,P1,2026-10-01T09:00:00Z,2026-10-01T09:00:10Z,2026-10-01T09:05:00Z,false
c2,voice,A1,P1,2026-10-02T09:00:00Z,2026-10-02T09:00:10Z,2026-10-02T09:05:00Z,false
c3,voice,A1,P1,2026-10-03T15:00:00Z,2026-10-03T15:00:10Z,2026-10-03T15:05:00Z,false
c4,chat,B1,P1,2026-10-04T09:00:00Z,2026-10-04T09:00:10Z,2026-10-04T09:05:00Z,false
c5,chat,B1,P1,2026-10-05T09:00:00Z,2026-10-05T09:00:10Z,2026-10-05T09:05:00Z,false
c6,voice,,P1,2026-10-06T09:00:00Z,,2026-10-06T09:01:00Z,true
"""

EVALUATION_COLUMNS = ["evaluation_id", "form_id", "contact_id", "agent_id", "evaluator_id",
                      "evaluated_at", "calibration_session_id", "item_id", "answer"]
# e1: all yes -> 100. e2: cc no -> 0 (zero_score), customer-critical error.
# e3 (bot): nc no -> (1 + 1 + 0 * 2) / (1 + 1 + 2) = 50.
EVALUATIONS = {
    "e1": ("c1", "A1", "E1", {"cc": "yes", "comp": "yes", "nc": "yes"}),
    "e2": ("c2", "A1", "E2", {"cc": "no", "comp": "yes", "nc": "yes"}),
    "e3": ("c4", "B1", "E1", {"cc": "yes", "comp": "yes", "nc": "no"}),
}
# A calibration session: E1 and E2 agree, LEN passes the failed item.
CALIBRATION = {
    ("E1", "c1"): {"cc": "no", "comp": "yes", "nc": "yes"},
    ("E2", "c1"): {"cc": "no", "comp": "yes", "nc": "yes"},
    ("LEN", "c1"): {"cc": "yes", "comp": "yes", "nc": "yes"},
    ("E1", "c3"): {"cc": "yes", "comp": "no", "nc": "yes"},
    ("E2", "c3"): {"cc": "yes", "comp": "no", "nc": "yes"},
    ("LEN", "c3"): {"cc": "yes", "comp": "yes", "nc": "yes"},
}

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): 4 coders, 12 units,
# "." = no value. Published alphas below.
KRIPPENDORFF_EXAMPLE = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0]


def write_evaluations(path: Path, evaluations: dict, session: str | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(EVALUATION_COLUMNS)
        for evaluation_id, (contact, agent, evaluator, answers) in evaluations.items():
            for item, answer in answers.items():
                writer.writerow([evaluation_id, "svc", contact, agent, evaluator,
                                 "2026-10-20T10:00:00", session or "", item, answer])
    return path


@pytest.mark.parametrize(("args", "n"), [
    ((), 385), (("--population", "1000"), 278), (("--margin", "0.03"), 1068)])
def test_sample_size_contract(cli, args: tuple[str, ...], n: int) -> None:
    options = {"--confidence": "0.95", "--margin": "0.05", **dict(zip(args[::2], args[1::2],
                                                                     strict=True))}
    result = cli("qa", "sample-size", *[x for kv in options.items() for x in kv],
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == {"n": n}
    # The textbook formula, n0 = z^2 p (1 - p) / e^2 with the finite-population correction.
    z = NormalDist().inv_cdf(0.975)
    margin = float(options["--margin"])
    n0 = z * z * 0.25 / margin ** 2
    population = options.get("--population")
    expected = n0 if population is None else n0 / (1 + (n0 - 1) / int(population))
    assert math.ceil(expected) == n


def test_sample_size_table_exact_and_errors(cli) -> None:
    table = cli("qa", "sample-size", "--confidence", "0.95", "--margin", "0.05")
    assert table.exit_code == 0 and "n = 385 evaluations" in table.stdout
    exact = cli("qa", "sample-size", "--confidence", "0.95", "--margin", "0.05", "--method",
                "exact", "--format", "json")
    assert exact.exit_code == 0 and set(exact.json()) == {"n"}
    assert exact.json()["n"] >= 385  # Clopper-Pearson intervals are wider
    assert_one_line_error(cli("qa", "sample-size", "--confidence", "0.95", "--margin", "0",
                              "--format", "json"), "margin")
    assert_one_line_error(cli("qa", "sample-size", "--confidence", "0.95", "--margin", "0.05",
                              "--population", "0"), "population")


@pytest.fixture
def ratings_csv(tmp_path: Path) -> Path:
    path = tmp_path / "ratings.csv"
    lines = ["unit,rater,value"]
    for rater, row in KRIPPENDORFF_EXAMPLE.items():
        for unit, value in enumerate(row.split(), start=1):
            if value != ".":
                lines.append(f"u{unit},{rater},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("level", list(PUBLISHED_ALPHA))
def test_agreement_contract(cli, ratings_csv: Path, level: str) -> None:
    result = cli("qa", "agreement", ratings_csv, "--level", level, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"alpha", "units", "raters", "pairable_values"}
    assert round(data["alpha"], 3) == PUBLISHED_ALPHA[level]
    columns = [row.split() for row in KRIPPENDORFF_EXAMPLE.values()]
    counts = [sum(c[u] != "." for c in columns) for u in range(12)]
    # Krippendorff's n.. = 40 pairable values, in the 11 units with two or more values.
    assert data["pairable_values"] == sum(c for c in counts if c >= 2) == 40
    assert data["raters"] == 4
    assert data["units"] == len(counts) == 12
    table = cli("qa", "agreement", ratings_csv, "--level", level)
    assert table.exit_code == 0
    assert f"= {PUBLISHED_ALPHA[level]:.3f}" in table.stdout


def test_agreement_bad_input(cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("qa", "agreement", tmp_path / "none.csv", "--level", "nominal"),
                          "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,coder,value\nu1,A,1\n", encoding="utf-8")
    assert_one_line_error(cli("qa", "agreement", bad, "--level", "interval"), "rater")
    assert cli("qa", "agreement", bad, "--level", "fuzzy").exit_code == 2  # usage error


@pytest.mark.parametrize("command", [
    (), ("forms",), ("forms", "import"), ("forms", "list"), ("forms", "show"),
    ("evaluations",), ("evaluations", "import"), ("evaluations", "sync"), ("report",),
    ("sample-size",), ("sample",), ("agreement",), ("calibration",), ("calibration", "new"),
    ("calibration", "list"), ("calibration", "report")])
def test_help(cli, command: tuple[str, ...]) -> None:
    result = cli("qa", *command, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout


def test_quality_workflow(cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws, "--timezone", "UTC").exit_code == 0
    w = ("--workspace", ws)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    assert cli("ingest", "contacts", contacts, *w).exit_code == 0

    # Forms.
    form_v1 = tmp_path / "v1.toml"
    form_v1.write_text(FORM.format(version=1, weight=2), encoding="utf-8")
    imported = cli("qa", "forms", "import", form_v1, "--actor", "ann", "--format", "json", *w)
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["status"] == "imported"
    assert imported.json()["form"]["items"] == 3
    again = cli("qa", "forms", "import", form_v1, *w)
    assert again.exit_code == 0 and "unchanged" in again.stdout
    changed = tmp_path / "changed.toml"
    changed.write_text(FORM.format(version=1, weight=3), encoding="utf-8")
    assert_one_line_error(cli("qa", "forms", "import", changed, *w), "new version number")
    for example in EXAMPLE_FORMS:
        assert cli("qa", "forms", "import", example, *w).exit_code == 0
    listed = cli("qa", "forms", "list", "--format", "json", *w).json()
    assert {(f["form_id"], f["version"]) for f in listed} >= {("svc", 1)}
    assert len(listed) == 1 + len(EXAMPLE_FORMS)
    assert "svc" in cli("qa", "forms", "list", *w).stdout
    shown = cli("qa", "forms", "show", "svc@1", "--format", "json", *w).json()
    assert [i["id"] for i in shown["definition"]["sections"][0]["items"]] == ["cc", "comp",
                                                                              "nc"]
    table = cli("qa", "forms", "show", "svc", *w)
    assert table.exit_code == 0 and "customer_critical" in table.stdout
    assert_one_line_error(cli("qa", "forms", "show", "svc@4", *w), "no version 4")

    # Evaluations.
    path = write_evaluations(tmp_path / "evaluations.csv", EVALUATIONS)
    saved = cli("qa", "evaluations", "import", path, "--format", "json", *w)
    assert saved.exit_code == 0, saved.stderr
    assert saved.json() == {"read": 3, "saved": 3, "updated": 0, "unchanged": 0}
    again = cli("qa", "evaluations", "import", path, *w)
    assert again.exit_code == 0
    assert "3 evaluations read: 0 saved, 0 updated, 3 unchanged" in again.stdout
    bad = write_evaluations(tmp_path / "bad.csv", {"x1": ("c3", "A1", "E1", {"zz": "yes"})})
    rejected = cli("qa", "evaluations", "import", bad, *w)
    assert rejected.exit_code == 1 and rejected.stderr.startswith("error: ")
    assert "item zz" in rejected.stderr and "nothing was saved" in rejected.stderr
    assert "Traceback" not in rejected.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert_one_line_error(cli("qa", "evaluations", "import", broken, *w), "broken.json")
    synced = cli("qa", "evaluations", "sync", *w)
    assert synced.exit_code == 0 and "3 evaluations copied" in synced.stdout

    # Report: A1 e1 (100) and e2 (0, customer-critical error); B1 e3 (50).
    report = cli("qa", "report", "--by", "agent", "--format", "json", *w)
    assert report.exit_code == 0, report.stderr
    data = report.json()
    assert data["period"] == "2026-10" and data["by"] == ["agent_id"]
    rows = {r["dimensions"]["agent_id"]: r for r in data["rows"]}
    assert rows["A1"]["customer_critical_accuracy"]["value"] == 0.5
    assert rows["A1"]["qa_score"] == 50.0
    assert rows["B1"]["qa_score"] == 50.0 and rows["B1"]["noncritical_accuracy"]["value"] == 0
    # Handled in October: A1 c1-c3 (3), B1 c4-c5 (2); c6 was abandoned.
    assert (rows["A1"]["population"], rows["B1"]["population"]) == (3, 2)
    assert [(p["dimensions"]["agent_id"], p["item_id"], p["errors"]) for p in data["pareto"]] \
        == [("A1", "cc", 1)]
    text = cli("qa", "report", "--by", "agent", "--period", "2026-10", "--top", "1", *w)
    assert text.exit_code == 0 and "A1" in text.stdout and "Pareto" in text.stdout
    assert cli("qa", "report", "--param", "qa.sample.margin=0.1", *w).exit_code == 0
    assert_one_line_error(cli("qa", "report", "--period", "October", *w), "YYYY-MM")
    assert_one_line_error(cli("qa", "report", "--by", "colour", *w), "colour")
    assert_one_line_error(cli("qa", "report", "--by", "item", *w), "Pareto")

    # Sample: c3 and c5 are the handled contacts without an evaluation.
    output = tmp_path / "sample.csv"
    sample = cli("qa", "sample", "--period", "2026-10", "--per-agent", "5", "--seed", "3",
                 "--output", output, "--format", "json", *w)
    assert sample.exit_code == 0, sample.stderr
    assert sample.json()["drawn"] == 2 and sample.json()["evaluators"] == ["E1", "E2"]
    with output.open(newline="", encoding="utf-8") as fh:
        drawn = list(csv.DictReader(fh))
    assert sorted(r["contact_id"] for r in drawn) == ["c3", "c5"]
    assert set(drawn[0]) == {"contact_id", "subject_id", "handled_by", "channel", "day_part",
                             "local_time", "evaluator_id"}
    assert sorted(r["evaluator_id"] for r in drawn) == ["E1", "E2"]
    shown = cli("qa", "sample", "--period", "2026-10", "--margin", "0.05", "--evaluators",
                "Q1", *w)
    assert shown.exit_code == 0 and "2 contacts drawn" in shown.stdout
    listed = cli("qa", "sample", "--period", "2026-10", "--per-agent", "1", "--seed", "3",
                 "--evaluators", "Q1,Q2", "--format", "json", *w).json()
    assert sorted((a["subject_id"], a["contact_id"]) for a in listed["assignments"]) == \
        [("A1", "c3"), ("B1", "c5")]
    assert {s["subject_id"]: s["available"] for s in listed["subjects"]} == {"A1": 1, "B1": 1}
    written = cli("qa", "sample", "--period", "2026-10", "--per-agent", "1", "--output",
                  tmp_path / "table.csv", *w)
    assert written.exit_code == 0 and "assignment list written to" in written.stdout
    assert (tmp_path / "table.csv").read_text(encoding="utf-8").startswith("contact_id,")
    assert_one_line_error(cli("qa", "sample", "--period", "2026-10", *w), "--per-agent")
    assert_one_line_error(cli("qa", "sample", "--period", "2026-08", "--per-agent", "1", *w),
                          "2026-08")

    # Calibration.
    cal = {f"k-{e}-{c}": (c, "A1", e, answers) for (e, c), answers in CALIBRATION.items()}
    cal_path = write_evaluations(tmp_path / "cal.csv", cal, session="OCT")
    assert cli("qa", "evaluations", "import", cal_path, *w).exit_code == 0
    created = cli("qa", "calibration", "new", "OCT", "--expert", "E1", "--title", "October",
                  *w)
    assert created.exit_code == 0 and "expert E1" in created.stdout
    sessions = cli("qa", "calibration", "list", "--format", "json", *w).json()
    assert [(s["session_id"], s["expert_id"], s["evaluations"], s["evaluators"])
            for s in sessions] == [("OCT", "E1", 6, 3)]
    assert "OCT" in cli("qa", "calibration", "list", *w).stdout
    result = cli("qa", "calibration", "report", "OCT", "--format", "json", *w)
    assert result.exit_code == 0, result.stderr
    evaluators = {e["evaluator_id"]: e for e in result.json()["evaluators"]}
    assert {k: v["outside_tolerance"] for k, v in evaluators.items()} == {"E2": False,
                                                                         "LEN": True}
    # LEN scores 100 where the expert scored 0 (a critical item failed): +100 on both.
    assert evaluators["LEN"]["mean_score_difference"] == 100.0
    text = cli("qa", "calibration", "report", "OCT", *w)
    assert text.exit_code == 0 and "OUT OF TOLERANCE" in text.stdout
    loose = cli("qa", "calibration", "report", "OCT", "--param",
                "qa.calibration.score_tolerance=100", "--param",
                "qa.calibration.flag_agreement_min=0.5", "--format", "json", *w).json()
    assert not any(e["outside_tolerance"] for e in loose["evaluators"])
    assert_one_line_error(cli("qa", "calibration", "report", "NOPE", *w), "NOPE")
    # Calibration evaluations stay out of the report.
    again = cli("qa", "report", "--format", "json", *w).json()
    assert again["rows"][0]["evaluations"] == 3
    assert json.dumps(again)  # plain JSON


def test_user_text_is_shown_as_written(cli, tmp_path: Path) -> None:
    """Titles and ids can contain brackets; Rich must not read them as markup."""
    ws = tmp_path / "ws"
    assert cli("init", ws).exit_code == 0
    w = ("--workspace", ws)
    form = tmp_path / "form.toml"
    form.write_text(FORM.format(version=1, weight=1).replace('"Service"', '"Care [/b] [i]"'),
                    encoding="utf-8")
    imported = cli("qa", "forms", "import", form, *w)
    assert imported.exit_code == 0, imported.stderr
    assert "Care [/b] [i]" in imported.stdout
    assert "Care [/b] [i]" in cli("qa", "forms", "show", "svc", *w).stdout
    assert cli("qa", "forms", "list", *w).exit_code == 0
    created = cli("qa", "calibration", "new", "S[/u]", "--expert", "[/x]", "--title", "[/t]",
                  *w)
    assert created.exit_code == 0, created.stderr
    assert "S[/u]" in created.stdout and "[/x]" in created.stdout
    assert cli("qa", "calibration", "list", *w).exit_code == 0
