from __future__ import annotations

from pathlib import Path

from cxpm.schema import TABLES


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("cxpm ")


def test_init_then_schema(cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "ops", "--timezone", "Asia/Jerusalem", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["timezone"] == "Asia/Jerusalem"
    assert (tmp_path / "ops" / "cxpm.toml").exists()
    tables = cli("schema", "--format", "json").json()
    assert [t["name"] for t in tables] == list(TABLES)
    contacts = cli("schema", "contacts", "--format", "json").json()
    assert contacts["key"] == ["contact_id"]
    assert any(c["name"] == "arrived_at" and c["rules"] == "required"
               for c in contacts["columns"])
    assert "contact_id" in cli("schema", "contacts").stdout


def test_user_errors_are_one_line_and_exit_1(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cases = [
        ("schema", "calls"),
        ("init", str(tmp_path / "x"), "--timezone", "Nowhere/Land"),
        ("scorecard",),
        ("metrics", "list", "--workspace", str(tmp_path / "missing")),
    ]
    for args in cases:
        result = cli(*args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error: "), (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_workspace_env_var_is_used(cli, tmp_path: Path, monkeypatch) -> None:
    assert cli("init", tmp_path / "w").exit_code == 0
    monkeypatch.setenv("CXPM_WORKSPACE", str(tmp_path / "w"))
    monkeypatch.chdir(tmp_path)
    result = cli("quarantine", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == []


def test_usage_errors_exit_2(cli) -> None:
    result = cli("metrics", "compute", "--grain", "fortnight")
    assert result.exit_code == 2


def test_staff_through_the_real_entry_point(cli) -> None:
    result = cli("staff", "--volume", "100", "--interval-minutes", "30", "--aht", "180",
                 "--sl-target", "0.8", "--sl-seconds", "20", "--shrinkage", "0.3",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = result.json()
    assert (out["model"], out["agents"], out["scheduled_agents"]) == ("erlang-c", 14, 20)
    assert out["p_abandon"] is None
    bad = cli("staff", "--volume", "100", "--interval-minutes", "30", "--aht", "180",
              "--sl-target", "1.5")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: ")
