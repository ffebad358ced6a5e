"""`cxpm report monthly` end to end on the report tests' operation (tests/reports)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "report_operation", Path(__file__).parents[1] / "reports" / "operation.py")
operation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(operation)


@pytest.fixture(scope="module")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = operation.build_workspace(tmp_path_factory.mktemp("cli-report") / "ws")
    operation.add_actions(path)
    return path


def test_monthly_report_writes_one_page(cli, report_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "april.html"
    result = cli("report", "monthly", "--period", "2026-04", "--output", out,
                 "--workspace", report_ws)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "Monthly performance report" in page and "2026-04" in page
    assert "Abandonment rate" in page and '<span class="status missed">missed</span>' in page
    assert "Staff the morning peak" in page
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind


def test_unwritable_output_fails_before_any_work(cli, report_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "report.html"
    result = cli("report", "monthly", "--output", out, "--workspace", report_ws)
    assert result.exit_code == 1
    assert "folder" in result.stderr and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_period_is_one_line(cli, report_ws: Path, tmp_path: Path) -> None:
    result = cli("report", "monthly", "--period", "April", "--output", tmp_path / "r.html",
                 "--workspace", report_ws)
    assert result.exit_code == 1
    assert "period must be YYYY-MM" in result.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.skipif(importlib.util.find_spec("weasyprint") is not None,
                    reason="WeasyPrint is installed: PDF output works")
def test_pdf_without_weasyprint_says_how_to_install(cli, report_ws: Path,
                                                     tmp_path: Path) -> None:
    result = cli("report", "monthly", "--output", tmp_path / "r.html", "--pdf",
                 "--workspace", report_ws)
    assert result.exit_code == 1
    assert "pip install 'cxpm[pdf]'" in result.stderr
    assert not (tmp_path / "r.html").exists()
    assert "weasyprint" not in sys.modules


@pytest.mark.skipif(importlib.util.find_spec("weasyprint") is None,
                    reason="WeasyPrint is not installed (optional extra cxpm[pdf])")
def test_pdf_beside_the_page(cli, report_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "april.html"
    result = cli("report", "monthly", "--period", "2026-04", "--output", out, "--pdf",
                 "--workspace", report_ws)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "april.pdf").read_bytes().startswith(b"%PDF-")
