"""Reading the demo's forms and evaluations with plain Python (tomllib, json), so tests
check the product's scoring and metrics against an independent count."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

CRITICAL = ("customer_critical", "business_critical", "compliance_critical")


def form_items(form_id: str) -> dict[str, dict]:
    """Item id -> the item's table as written in the demo's form file."""
    text = resources.files("cxpm.demo.forms").joinpath(f"{form_id}.toml").read_text("utf-8")
    return {item["id"]: item for section in tomllib.loads(text)["sections"]
            for item in section["items"]}


def is_error(item: dict, answer: object) -> bool:
    """An answer that counts as an error (docs/qa-forms.md): no, an option worth less than
    the best one, a scale value below error_below (max when not given)."""
    if answer is None or answer == "na":
        return False
    if item["type"] == "yes_no":
        return answer == "no"
    if item["type"] == "choice":
        best = max(o["points"] for o in item["options"])
        return next(o["points"] for o in item["options"] if o["value"] == answer) < best
    return float(answer) < item.get("error_below", item["max"])


def critical_errors(evaluation: dict) -> dict[str, bool]:
    """Per critical category, whether the evaluation's answers hold an error of it."""
    items = form_items(evaluation["form_id"])
    out = dict.fromkeys(CRITICAL, False)
    for item_id, answer in evaluation["answers"].items():
        item = items[item_id]
        if item["category"] in CRITICAL and is_error(item, answer):
            out[item["category"]] = True
    return out


def read_evaluations(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["evaluations"]
