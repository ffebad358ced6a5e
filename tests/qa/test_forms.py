"""Form files: every validation rule gives a clear error; definitions round-trip and hash."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.forms import (
    Category,
    Channel,
    Subject,
    canonical_json,
    load_form,
    parse_form,
    parse_form_toml,
)
from cxpm.schema.tables import CHANNELS, ERROR_CATEGORIES, HANDLERS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "qa"

VALID_TOML = """
id = "voice"
version = 3
title = "Voice contact quality"
critical_failure = "zero_score"

[[sections]]
id = "opening"
title = "Opening"
weight = 20

  [[sections.items]]
  id = "verify_identity"
  text = "Verified identity"
  type = "yes_no"
  category = "compliance_critical"

  [[sections.items]]
  id = "courtesy"
  text = "Courtesy"
  type = "scale"
  category = "non_critical"
  min = 1
  max = 5
  opportunities = 2

[[sections]]
id = "resolution"
title = "Resolution"
weight = 80

  [[sections.items]]
  id = "answer"
  text = "Correct answer"
  type = "choice"
  category = "customer_critical"
  allow_na = true

    [[sections.items.options]]
    value = "correct"
    points = 2

    [[sections.items.options]]
    value = "partial"
    points = 1
    error = false

    [[sections.items.options]]
    value = "wrong"
    points = 0
"""


def base() -> dict[str, Any]:
    """A valid form as data; each test breaks one rule in a copy of it."""
    return {
        "id": "voice",
        "version": 3,
        "title": "Voice",
        "critical_failure": "zero_score",
        "sections": [
            {"id": "opening", "title": "Opening", "weight": 20, "items": [
                {"id": "greet", "text": "Greeted", "type": "yes_no",
                 "category": "non_critical"},
                {"id": "courtesy", "text": "Courtesy", "type": "scale",
                 "category": "non_critical", "min": 1, "max": 5},
            ]},
            {"id": "resolution", "title": "Resolution", "weight": 80, "items": [
                {"id": "answer", "text": "Answer", "type": "choice",
                 "category": "customer_critical",
                 "options": [{"value": "correct", "points": 2},
                             {"value": "wrong", "points": 0}]},
            ]},
        ],
    }


def item(data: dict[str, Any], section: int, position: int) -> dict[str, Any]:
    return data["sections"][section]["items"][position]


def rejected(data: dict[str, Any]) -> str:
    with pytest.raises(CxpmError) as caught:
        parse_form(data, "forms/voice.toml")
    message = str(caught.value)
    assert message.startswith("forms/voice.toml: ")
    assert "\n" not in message
    return message


def test_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "voice.toml"
    path.write_text(VALID_TOML, encoding="utf-8")
    form = load_form(path)
    assert (form.id, form.version, form.label) == ("voice", 3, "voice v3")
    assert form.applies_to == ["agent", "bot"]
    assert form.channels is None
    courtesy = form.item("courtesy")
    assert (courtesy.weight, courtesy.required, courtesy.allow_na) == (1, True, False)
    assert courtesy.error_below == 5  # defaults to max: any lost point is an error
    assert courtesy.opportunities == 2
    options = {o.value: o.error for o in form.item("answer").options or []}
    # "partial" is explicitly not an error; "wrong" is below the best, so an error by default
    assert options == {"correct": False, "partial": False, "wrong": True}
    assert [s.id for s, _ in form.iter_items()] == ["opening", "opening", "resolution"]


def test_vocabularies_match_the_warehouse() -> None:
    assert set(get_args(Category)) == set(ERROR_CATEGORIES)
    assert set(get_args(Channel)) == set(CHANNELS)
    assert set(get_args(Subject)) == set(HANDLERS)


def test_bad_toml_names_its_line() -> None:
    text = 'id = "voice"\nversion = 3\ntitle = \n'
    with pytest.raises(CxpmError, match=r"^f\.toml: invalid TOML: .*line 3"):
        parse_form_toml(text, "f.toml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match=r"nope\.toml: file not found"):
        load_form(tmp_path / "nope.toml")


def test_unknown_key_on_form_section_and_item() -> None:
    data = base()
    data["owner"] = "qa"
    data["sections"][0]["colour"] = "red"
    item(data, 0, 0)["wieght"] = 2
    message = rejected(data)
    assert "unknown key owner" in message
    assert "section opening: unknown key colour" in message
    assert "section opening, item greet: unknown key wieght" in message


def test_missing_key() -> None:
    data = base()
    del item(data, 1, 0)["text"]
    assert "section resolution, item answer: missing key text" in rejected(data)


def test_duplicate_item_ids_across_sections() -> None:
    data = base()
    item(data, 1, 0)["id"] = "greet"
    assert "duplicate item id(s): greet" in rejected(data)


def test_duplicate_section_ids() -> None:
    data = base()
    data["sections"][1]["id"] = "opening"
    assert "duplicate section id(s): opening" in rejected(data)


@pytest.mark.parametrize("weight", [0, -1])
def test_section_weight_must_be_positive(weight: int) -> None:
    data = base()
    data["sections"][0]["weight"] = weight
    assert f"section opening: weight must be > 0 (got {weight})" in rejected(data)


def test_item_weight_must_be_positive() -> None:
    data = base()
    item(data, 0, 0)["weight"] = 0
    assert "section opening, item greet: weight must be > 0 (got 0)" in rejected(data)


def test_weight_must_be_a_finite_number() -> None:
    data = base()
    item(data, 0, 0)["weight"] = "2"
    assert "item greet: weight must be a number (got '2')" in rejected(data)
    data = base()
    data["sections"][0]["weight"] = float("inf")
    assert "section opening: weight must be a finite number" in rejected(data)


def test_scale_min_must_be_below_max() -> None:
    data = base()
    item(data, 0, 1).update(min=5, max=5)
    assert "item courtesy: scale min (5) must be below max (5)" in rejected(data)


@pytest.mark.parametrize("error_below", [0, 6])
def test_error_below_within_the_scale(error_below: int) -> None:
    data = base()
    item(data, 0, 1)["error_below"] = error_below
    assert f"item courtesy: error_below ({error_below}) must lie within [1, 5]" in rejected(data)


def test_scale_needs_min_and_max() -> None:
    data = base()
    del item(data, 0, 1)["max"]
    assert "item courtesy: a scale item needs min and max" in rejected(data)


def test_a_bad_scale_bound_is_reported_once() -> None:
    data = base()
    item(data, 0, 1)["max"] = "5"
    message = rejected(data)
    assert message == ("forms/voice.toml: section opening, item courtesy: "
                       "max must be a number (got '5')")


def test_scale_keys_only_on_scale_items() -> None:
    data = base()
    item(data, 0, 0)["min"] = 1
    assert "item greet: min apply to scale items only" in rejected(data)


def test_choice_without_options() -> None:
    data = base()
    del item(data, 1, 0)["options"]
    assert "item answer: a choice item needs at least one option" in rejected(data)
    data = base()
    item(data, 1, 0)["options"] = []
    assert "item answer: a choice item needs at least one option" in rejected(data)


def test_options_only_on_choice_items() -> None:
    data = base()
    item(data, 0, 0)["options"] = [{"value": "a", "points": 1}]
    assert "item greet: options apply to choice items only" in rejected(data)


def test_duplicate_option_values_ignoring_case() -> None:
    data = base()
    item(data, 1, 0)["options"].append({"value": "Correct", "points": 1})
    assert "item answer: duplicate option value 'Correct'" in rejected(data)


def test_option_value_na_is_reserved() -> None:
    data = base()
    item(data, 1, 0)["options"].append({"value": "N/A", "points": 1})
    assert "option N/A: value: option value 'N/A' is reserved" in rejected(data)


def test_options_need_a_best_above_zero_and_no_negative_points() -> None:
    data = base()
    item(data, 1, 0)["options"] = [{"value": "a", "points": 0}, {"value": "b", "points": 0}]
    assert "item answer: the best option must be worth more than 0 points" in rejected(data)
    data = base()
    item(data, 1, 0)["options"][1]["points"] = -1
    assert "item answer, option wrong: points must be >= 0 (got -1)" in rejected(data)


def test_opportunities_on_a_critical_item_must_be_one() -> None:
    data = base()
    item(data, 1, 0)["opportunities"] = 3
    assert ("item answer: opportunities must be 1 on a customer_critical item (got 3)"
            in rejected(data))
    data = base()
    item(data, 1, 0)["opportunities"] = 1  # spelled out, it is fine
    parse_form(data, "ok")


def test_opportunities_must_be_a_positive_whole_number() -> None:
    data = base()
    item(data, 0, 0)["opportunities"] = 0
    assert "item greet: opportunities must be >= 1 (got 0)" in rejected(data)
    data = base()
    item(data, 0, 0)["opportunities"] = 1.5
    assert "item greet: opportunities must be a whole number (got 1.5)" in rejected(data)


def test_empty_section_and_form_without_sections() -> None:
    data = base()
    data["sections"][1]["items"] = []
    assert "section resolution: section has no items" in rejected(data)
    data = base()
    data["sections"] = []
    assert "form has no sections" in rejected(data)


def test_unknown_type_category_and_critical_failure() -> None:
    data = base()
    item(data, 0, 0)["type"] = "boolean"
    item(data, 0, 1)["category"] = "critical"
    data["critical_failure"] = "zero"
    message = rejected(data)
    assert "item greet: type: unknown value 'boolean'; expected 'yes_no', 'scale'" in message
    assert "item courtesy: category: unknown value 'critical'" in message
    assert ("critical_failure: unknown value 'zero'; expected 'zero_score', 'zero_section' or "
            "'no_effect'") in message


def test_critical_failure_is_required() -> None:
    data = base()
    del data["critical_failure"]
    assert "missing key critical_failure" in rejected(data)


def test_ids_version_and_titles() -> None:
    data = base()
    data["id"] = "Voice Form"
    data["version"] = 0
    data["title"] = "  "
    item(data, 0, 0)["id"] = "-greet"
    message = rejected(data)
    assert "id 'Voice Form' must start with a lowercase letter or digit" in message
    assert "version must be >= 1 (got 0)" in message
    assert "title must not be blank" in message
    assert "section opening, item -greet: id '-greet' must start with" in message


def test_parts_without_a_usable_id_are_named_by_position() -> None:
    data = base()
    item(data, 1, 0)["id"] = 5
    assert "section resolution, item #1: id must be text (got 5)" in rejected(data)


def test_version_must_be_an_integer() -> None:
    data = base()
    data["version"] = "3"
    assert "version must be a whole number (got '3')" in rejected(data)
    data["version"] = True
    assert "version must be a whole number (got True)" in rejected(data)


def test_applies_to_and_channels() -> None:
    data = base()
    data["applies_to"] = ["agent", "robot"]
    data["channels"] = ["voice", "fax"]
    message = rejected(data)
    assert "applies_to[1]: unknown value 'robot'; expected 'agent' or 'bot'" in message
    assert "channels[1]: unknown value 'fax'" in message
    data = base()
    data["applies_to"] = []
    assert "applies_to must not be empty" in rejected(data)
    data = base()
    data["applies_to"] = ["bot", "bot"]
    assert "applies_to lists bot more than once" in rejected(data)


def test_flags_must_be_booleans() -> None:
    data = base()
    item(data, 0, 0)["required"] = "yes"
    assert "item greet: required must be true or false (got 'yes')" in rejected(data)


def test_all_problems_reported_together() -> None:
    data = base()
    data["sections"][0]["weight"] = 0
    item(data, 1, 0)["weight"] = -2
    message = rejected(data)
    assert message.count("; ") == 1
    assert "section opening: weight" in message and "item answer: weight" in message


def test_form_must_be_a_table() -> None:
    with pytest.raises(CxpmError, match="a form must be a table"):
        parse_form(["not", "a", "form"], "x")  # type: ignore[arg-type]


def test_definition_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "voice.toml"
    path.write_text(VALID_TOML, encoding="utf-8")
    form = load_form(path)
    definition = form.definition()
    stored = json.loads(json.dumps(definition))  # what an app database gives back
    again = parse_form(stored, "stored")
    assert again == form
    assert again.definition() == definition
    assert again.content_hash() == form.content_hash()
    # defaults are spelled out in the definition
    courtesy = definition["sections"][0]["items"][1]
    assert courtesy["error_below"] == 5 and courtesy["required"] is True
    assert "options" not in courtesy and "channels" not in definition


def test_content_hash_is_sha256_of_canonical_json() -> None:
    import hashlib

    form = parse_form(base(), "x")
    expected = hashlib.sha256(
        json.dumps(form.definition(), sort_keys=True, separators=(",", ":"),
                   ensure_ascii=False).encode("utf-8")).hexdigest()
    assert form.content_hash() == expected
    assert re.fullmatch(r"[0-9a-f]{64}", form.content_hash())
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'


def test_content_hash_ignores_spelling_of_defaults_and_numbers() -> None:
    plain = parse_form(base(), "x")
    explicit = copy.deepcopy(base())
    explicit["sections"][0]["weight"] = 20.0
    explicit["applies_to"] = ["agent", "bot"]
    item(explicit, 0, 1).update(error_below=5, weight=1, required=True, allow_na=False)
    item(explicit, 1, 0)["options"][1]["error"] = True
    assert parse_form(explicit, "y").content_hash() == plain.content_hash()


def test_content_hash_changes_with_any_content() -> None:
    plain = parse_form(base(), "x").content_hash()
    for change in (
        lambda d: d.update(title="Voice (new)"),
        lambda d: item(d, 0, 0).update(text="Greeted warmly"),
        lambda d: d["sections"][0].update(weight=21),
        lambda d: item(d, 1, 0)["options"][1].update(error=False),
    ):
        data = base()
        change(data)
        assert parse_form(data, "x").content_hash() != plain


def test_form_item_lookup() -> None:
    form = parse_form(base(), "x")
    assert form.item("answer").type == "choice"
    assert form.item("courtesy").max_points == 4.0
    assert form.item("answer").max_points == 2.0
    with pytest.raises(CxpmError, match="form voice v3 has no item 'nope'"):
        form.item("nope")


@pytest.mark.parametrize("name", ["voice-form.toml", "bot-form.toml"])
def test_example_forms_load_and_round_trip(name: str) -> None:
    form = load_form(EXAMPLES / name)
    categories = {item.category for _, item in form.iter_items()}
    assert categories == set(ERROR_CATEGORIES)
    types = {item.type for _, item in form.iter_items()}
    assert {"yes_no", "scale", "choice"} <= types
    assert any(item.allow_na for _, item in form.iter_items())
    assert parse_form(form.definition(), "again") == form


def test_ids_longer_than_the_database_columns_are_refused() -> None:
    from pathlib import Path

    from cxpm.qa.forms import load_form, parse_form

    example = Path(__file__).resolve().parents[2] / "examples" / "qa" / "voice-form.toml"
    data = load_form(example).definition()
    data["id"] = "v" * 81
    with pytest.raises(CxpmError, match="longer than 80 characters"):
        parse_form(data, "long.toml")
