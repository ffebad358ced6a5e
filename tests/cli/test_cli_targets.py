"""`cxpm targets set | list | import | export | delete | suggest` through the real entry
point: table and JSON output, one-line errors, files written and read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from cxpm.ingest.loader import ingest
from cxpm.workspace import init_workspace

# Three agents in March 2026; c4 abandons (no agent). AHT = talk / handled per agent.
TALK = {"c1": ("a1", 100), "c2": ("a1", 200), "c3": ("a2", 300), "c5": ("a3", 240),
        "c6": ("a3", 260)}


@pytest.fixture
def ws(cli, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    assert cli("init", path).exit_code == 0
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-targets")
    source = folder / "contacts.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["contact_id", "channel", "program", "agent_id", "arrived_at",
                         "answered_at", "ended_at", "abandoned", "talk_s"])
        for i, cid in enumerate(["c1", "c2", "c3", "c4", "c5", "c6"], start=1):
            agent, talk = TALK.get(cid, (None, None))
            writer.writerow([cid, "voice", "banking", agent or "",
                             f"2026-03-0{i}T10:00:00Z",
                             f"2026-03-0{i}T10:00:05Z" if agent else "",
                             f"2026-03-0{i}T10:30:00Z", "false" if agent else "true",
                             talk or ""])
    workspace = init_workspace(folder / "ws", "UTC")
    assert ingest(workspace, "contacts", [source]).loaded == 6
    workspace.close()
    return folder / "ws"


def _one_line_error(result, text: str) -> None:
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("error: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr, result.stderr


def test_set_list_and_update(cli, ws: Path) -> None:
    out = cli("targets", "set", "--metric", "aht", "--value", "300", "--warning", "330",
              "--scope", "program=banking", "--scope", "site=north", "--from", "2026-02",
              "--owner", "ops", "--benchmark-source", "study", "--benchmark-date", "2025-06",
              "--benchmark-statistic", "top quartile", "--benchmark-value", "290",
              "--rationale", "why", "--actor", "ana", "-w", ws)
    assert out.exit_code == 0, out.stderr
    assert " ".join(out.stdout.split()) == ("target 1 saved: aht (program=banking;site=north) "
                                            "300 from 2026-02-01, warning at 330")
    saved = cli("targets", "set", "--metric", "service_level", "--value", "0.8", "--to",
                "2026-12-31", "--format", "json", "-w", ws).json()
    assert {k: saved[k] for k in ("id", "metric", "scope", "valid_from", "valid_to",
                                  "value", "direction")} == {
        "id": 2, "metric": "service_level", "scope": {}, "valid_from": "1970-01-01",
        "valid_to": "2026-12-31", "value": 0.8, "direction": "higher"}

    listed = cli("targets", "list", "--format", "json", "-w", ws).json()
    assert [(t["id"], t["metric"]) for t in listed] == [(1, "aht"), (2, "service_level")]
    assert listed[0]["benchmark_date"] == "2025-06-01" and listed[0]["owner"] == "ops"
    table = cli("targets", "list", "--metric", "aht", "-w", ws)
    assert table.exit_code == 0 and "aht" in table.stdout
    assert "service_level" not in table.stdout

    # same metric, scope and start: an update of target 1
    again = cli("targets", "set", "--metric", "aht", "--value", "280", "--scope",
                "site=north;program=banking", "--from", "2026-02-01", "--format", "json",
                "-w", ws).json()
    assert (again["id"], again["value"], again["warning"]) == (1, 280.0, None)
    assert len(cli("targets", "list", "--format", "json", "-w", ws).json()) == 2


def test_empty_list(cli, ws: Path) -> None:
    assert cli("targets", "list", "--format", "json", "-w", ws).json() == []
    assert "no targets yet" in cli("targets", "list", "-w", ws).stdout


@pytest.mark.parametrize(("args", "text"), [
    (("--metric", "aht_x", "--value", "1"), "unknown metric 'aht_x'"),
    (("--metric", "offered", "--value", "1"), "offered has no better direction"),
    (("--metric", "cost_per_contact", "--value", "1", "--scope", "channel=voice"),
     "cannot be scoped by channel"),
    (("--metric", "aht", "--value", "1", "--scope", "program"), "expects DIM=VALUE"),
    (("--metric", "aht", "--value", "1", "--from", "2026-13"), "--from expects YYYY-MM"),
    (("--metric", "aht", "--value", "300", "--warning", "200"),
     "warning threshold must be above the target"),
    (("--metric", "aht", "--value", "nan"), "value must be a finite number"),
    (("--metric", "aht", "--value", "1", "--from", "2026-05", "--to", "2026-04"),
     "is before valid_from"),
])
def test_set_errors_are_one_line(cli, ws: Path, args: tuple[str, ...], text: str) -> None:
    _one_line_error(cli("targets", "set", *args, "-w", ws), text)
    assert cli("targets", "list", "--format", "json", "-w", ws).json() == []


def test_export_import_round_trip(cli, ws: Path, tmp_path: Path) -> None:
    for args in (("--metric", "aht", "--value", "300", "--scope", "program=Cards, Loans"),
                 ("--metric", "csat", "--value", "0.85", "--warning", "0.8", "--from",
                  "2026-03", "--rationale", 'line one\n"two"')):
        assert cli("targets", "set", *args, "-w", ws).exit_code == 0
    before = cli("targets", "list", "--format", "json", "-w", ws).json()

    stdout_csv = cli("targets", "export", "-w", ws)
    assert stdout_csv.exit_code == 0
    assert stdout_csv.stdout.splitlines()[0].startswith("metric,scope,valid_from,")
    stdout_json = cli("targets", "export", "--file-format", "json", "-w", ws)
    assert [t["metric"] for t in json.loads(stdout_json.stdout)] == ["aht", "csat"]

    for name in ("out.csv", "out.json"):
        written = cli("targets", "export", "-o", tmp_path / name, "-w", ws)
        assert written.exit_code == 0 and f"targets written to {tmp_path / name}" in \
            written.stdout.replace("\n", "")
        other = tmp_path / f"other-{name}"
        assert cli("init", other).exit_code == 0
        imported = cli("targets", "import", tmp_path / name, "--actor", "t", "-w", other)
        assert imported.exit_code == 0, imported.stderr
        assert "2 targets imported" in imported.stdout
        after = cli("targets", "list", "--format", "json", "-w", other).json()
        assert after == before
    assert (tmp_path / "out.json").read_text() == stdout_json.stdout
    assert (tmp_path / "out.csv").read_text() == stdout_csv.stdout


def test_import_errors_name_file_and_line(cli, ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("metric,valid_from,value\naht,2026-01,300\noffered,2026-01,10\n")
    _one_line_error(cli("targets", "import", path, "-w", ws),
                    "t.csv line 3: metric offered has no better direction")
    assert cli("targets", "list", "--format", "json", "-w", ws).json() == []
    _one_line_error(cli("targets", "import", tmp_path / "none.csv", "-w", ws), "file not found")
    _one_line_error(cli("targets", "export", "-o", tmp_path / "no" / "x.csv", "-w", ws),
                    "does not exist")


def test_delete(cli, ws: Path) -> None:
    cli("targets", "set", "--metric", "aht", "--value", "300", "-w", ws)
    out = cli("targets", "delete", "1", "-w", ws)
    assert out.exit_code == 0 and "target 1 deleted" in out.stdout
    assert cli("targets", "list", "--format", "json", "-w", ws).json() == []
    _one_line_error(cli("targets", "delete", "1", "-w", ws), "no target 1")


def test_suggest_json_and_table(cli, loaded: Path, tmp_path: Path) -> None:
    aht = {}
    for agent, talk in TALK.values():
        aht.setdefault(agent, []).append(talk)
    values = {a: sum(t) / len(t) for a, t in aht.items()}
    best = float(np.percentile(list(values.values()), 25))
    bench = tmp_path / "bench.csv"
    bench.write_text("metric,segment,p25,p75\naht,all,180,260\naht,a2,200,\n")

    result = cli("targets", "suggest", "--metric", "aht", "--by", "agent_id", "--months", "1",
                 "--benchmark", bench, "--format", "json", "-w", loaded).json()
    assert (result["window_start"], result["window_end"], result["groups"]) == (
        "2026-03", "2026-03", 3)
    assert result["internal"] == pytest.approx(best)
    rows = {r["group"]: r for r in result["rows"]}
    assert set(rows) == set(values)
    for agent, value in values.items():
        external = 200.0 if agent == "a2" else 180.0
        assert rows[agent]["value"] == pytest.approx(value)
        assert rows[agent]["internal_gap"] == pytest.approx(best - value)
        assert (rows[agent]["external"], rows[agent]["external_gap"]) == pytest.approx(
            (external, external - value))

    table = cli("targets", "suggest", "--metric", "aht", "--by", "agent_id", "-w", loaded)
    assert table.exit_code == 0, table.stderr
    assert "lower is better" in table.stdout and "a3" in table.stdout


@pytest.mark.parametrize(("args", "text"), [
    (("--metric", "handled", "--by", "agent_id"), "handled has no better direction"),
    (("--metric", "aht", "--by", "colour"), "cannot be split or filtered by colour"),
    (("--metric", "aht", "--by", "agent_id", "--period", "March"), "period must be YYYY-MM"),
])
def test_suggest_errors(cli, loaded: Path, args: tuple[str, ...], text: str) -> None:
    _one_line_error(cli("targets", "suggest", *args, "-w", loaded), text)
