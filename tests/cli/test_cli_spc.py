"""`cxpm spc FILE.csv`: the plain-series control-chart contract through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest


def flat(text: str) -> str:
    """Terminal output with Rich's line wrapping undone."""
    return " ".join(text.split())


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


XMR_SERIES = "period,value\n" + "".join(
    f"2026-{month:02d},{value}\n"
    for month, value in enumerate([10, 12, 11, 15, 12, 30, 31], start=1))


def test_xmr_json_contract(cli, tmp_path: Path) -> None:
    result = cli("spc", write(tmp_path, XMR_SERIES), "--chart", "xmr", "--baseline", "5",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"chart", "center", "points", "baseline", "moving_range"}
    assert data["chart"] == "xmr"
    assert data["baseline"] == 5
    # first five points: mean 12, MR-bar (2 + 1 + 4 + 3) / 4 = 2.5, limits 12 ± 6.65
    assert data["center"] == pytest.approx(12)
    assert [p["period"] for p in data["points"]] == [f"2026-{m:02d}" for m in range(1, 8)]
    for point in data["points"]:
        assert set(point) == {"period", "value", "ucl", "lcl", "signals"}
        assert point["ucl"] == pytest.approx(18.65)
        assert point["lcl"] == pytest.approx(5.35)
    assert [p["signals"] for p in data["points"]] == [[]] * 5 + [["we1"], ["we1", "we2"]]
    assert data["moving_range"]["values"] == [None, 2, 1, 4, 3, 18, 1]
    assert data["moving_range"]["ucl"] == pytest.approx(3.267 * 2.5)


def test_p_chart_json_contract(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "period,value,denominator\nw1,0.5,100\nw2,0.5,100\nw3,0.66,100\n"
                 "w4,0.66,25\n")
    result = cli("spc", path, "--chart", "p", "--baseline", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"chart", "center", "points", "baseline"}
    assert data["chart"] == "p"
    assert data["center"] == pytest.approx(0.5)
    # σ = sqrt(0.25 / n): 0.05 at n = 100, 0.1 at n = 25
    assert [(p["lcl"], p["ucl"]) for p in data["points"]] == [
        pytest.approx((0.35, 0.65)), pytest.approx((0.35, 0.65)), pytest.approx((0.35, 0.65)),
        pytest.approx((0.2, 0.8))]
    assert [p["signals"] for p in data["points"]] == [[], [], ["we1"], []]


def test_table_shows_points_limits_signals_and_a_summary(cli, tmp_path: Path) -> None:
    result = cli("spc", write(tmp_path, XMR_SERIES), "--chart", "xmr", "--baseline", "5")
    assert result.exit_code == 0, result.stderr
    assert "2026-07" in result.stdout
    assert "we1, we2" in result.stdout
    assert "18.6" in result.stdout  # the upper limit
    summary = flat(result.stdout)
    assert "limits from the first 5 of 7 points" in summary
    assert "2 of 7 points signal: 2026-06 we1; 2026-07 we1, we2" in summary


def test_table_without_signals_says_so(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "period,value\na,10\nb,12\nc,11\nd,15\ne,12\n")
    result = cli("spc", path, "--chart", "xmr")
    assert result.exit_code == 0, result.stderr
    summary = flat(result.stdout)
    assert "centre 12.0, average moving range 2.50, limits from all points" in summary
    assert "no signals" in summary


@pytest.mark.parametrize(("text", "args", "message"), [
    ("period,value\na,1\nb,2\n", ["--chart", "p"], "needs a denominator"),
    ("period,value\na,1\nb,2\n", ["--chart", "xmr", "--baseline", "3"],
     "larger than the series"),
    ("period,value\na,1\n", ["--chart", "xmr"], "at least 2 points"),
    ("period,value\na,1\nb,x\n", ["--chart", "xmr"], "line 3: value is not a number"),
    ("period,amount\na,1\n", ["--chart", "xmr"], "missing column(s) value"),
])
def test_bad_input_is_one_line_and_exit_1(cli, tmp_path: Path, text: str, args: list[str],
                                          message: str) -> None:
    result = cli("spc", write(tmp_path, text), *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file(cli, tmp_path: Path) -> None:
    result = cli("spc", tmp_path / "nope.csv", "--chart", "xmr")
    assert result.exit_code == 1
    assert "file not found" in result.stderr


def test_unknown_chart_is_a_usage_error(cli, tmp_path: Path) -> None:
    result = cli("spc", write(tmp_path, XMR_SERIES), "--chart", "xbar")
    assert result.exit_code == 2
    assert "xbar" in result.stderr
