"""docs/metrics.md is generated from the catalog and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from cxpm.metrics.catalog import load_catalog
from cxpm.metrics.docs import main, render_metrics_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_committed_doc_equals_the_generated_text():
    assert DOC.read_text(encoding="utf-8") == render_metrics_markdown(), (
        "docs/metrics.md is stale: run `python -m cxpm.metrics.docs > docs/metrics.md`")


def test_doc_covers_every_metric_and_says_defaults_are_product_defaults():
    text = render_metrics_markdown()
    for definition in load_catalog():
        assert f"### {definition.id}\n" in text
    assert "**product default**" in text
    assert "| `service_level.threshold_s_by_channel.email` | 86400 |" in text


def test_custom_catalog_is_rendered_too():
    custom = load_catalog([{"id": "aht", "title": "Handle time (talk only)",
                            "numerator": "coalesce(talk_s, 0)"}])
    assert "**Handle time (talk only)**" in render_metrics_markdown(custom)


def test_module_entry_point_prints_the_doc(capsys):
    main()
    assert capsys.readouterr().out == render_metrics_markdown()
