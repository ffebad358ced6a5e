"""Metric parameters: defaults, workspace values, per-call overrides and their errors."""

from __future__ import annotations

import tomllib

import pytest
import tomli_w

from cxpm.config import _dotted
from cxpm.errors import CxpmError
from cxpm.metrics.params import DEFAULT_PARAMS, resolve_params


def test_defaults_are_the_documented_product_defaults():
    assert DEFAULT_PARAMS["service_level.threshold_s"] == 20
    # Voice and chat use the general threshold; only email has its own.
    assert not any(k.endswith((".voice", ".chat")) for k in DEFAULT_PARAMS)
    assert DEFAULT_PARAMS["service_level.threshold_s_by_channel.email"] == 24 * 3600
    assert DEFAULT_PARAMS["short_abandon.threshold_s"] == 5
    assert DEFAULT_PARAMS["repeat.window_days"] == 7
    assert DEFAULT_PARAMS["repeat.match_reason"] is True


def test_no_key_is_both_a_leaf_and_a_prefix():
    for key in DEFAULT_PARAMS:
        assert not any(other.startswith(key + ".") for other in DEFAULT_PARAMS), key


def test_defaults_round_trip_through_nested_toml():
    # What `cxpm init` writes must read back to the same flat keys.
    nested: dict = {}
    for key, value in DEFAULT_PARAMS.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    text = tomli_w.dumps({"params": nested})
    assert _dotted(tomllib.loads(text)["params"]) == DEFAULT_PARAMS
    assert resolve_params(_dotted(tomllib.loads(text)["params"])) == DEFAULT_PARAMS


def test_precedence_defaults_then_workspace_then_overrides():
    params = resolve_params({"service_level.threshold_s": 30, "repeat.window_days": 3},
                            ["service_level.threshold_s=45"])
    assert params["service_level.threshold_s"] == 45
    assert params["repeat.window_days"] == 3
    assert params["short_abandon.threshold_s"] == 5


@pytest.mark.parametrize(("text", "key", "value"), [
    ("service_level.threshold_s=30", "service_level.threshold_s", 30),
    ("service_level.threshold_s=7.5", "service_level.threshold_s", 7.5),
    ("repeat.match_reason=false", "repeat.match_reason", False),
    ("repeat.match_reason=YES", "repeat.match_reason", True),
    ("states.handling=on_contact, wrap ,coaching", "states.handling",
     ["on_contact", "wrap", "coaching"]),
    ("service_level.variant=offered", "service_level.variant", "offered"),
    ("service_level.threshold_s_by_queue.Billing EN=60",
     "service_level.threshold_s_by_queue.Billing EN", 60),
    ("service_level.threshold_s_by_channel.messaging=600",
     "service_level.threshold_s_by_channel.messaging", 600),
])
def test_string_overrides_are_coerced(text, key, value):
    assert resolve_params(None, [text])[key] == value


@pytest.mark.parametrize(("override", "message"), [
    ("service_level.treshold_s=30", "unknown metric parameter 'service_level.treshold_s'; "
                                    "did you mean service_level.threshold_s"),
    ("service_level.threshold_s=fast", "'service_level.threshold_s' expects a number"),
    ("service_level.threshold_s=-1", "'service_level.threshold_s' must be >= 0"),
    ("repeat.window_days=0", "'repeat.window_days' must be > 0"),
    ("repeat.match_reason=maybe", "'repeat.match_reason' expects true or false"),
    ("service_level.variant=best", "'service_level.variant' must be one of"),
    ("states.unpaid=offline,asleep", "'states.unpaid': unknown state"),
    ("service_level.threshold_s_by_channel.fax=3", "'fax' is not one of"),
    ("service_level.threshold_s", "must look like KEY=VALUE"),
])
def test_bad_overrides_name_the_key(override, message):
    with pytest.raises(CxpmError, match=message.replace("(", r"\(")):
        resolve_params(None, [override])


def test_bad_workspace_values_name_the_key():
    with pytest.raises(CxpmError, match=r"'survey\.nps_promoter_min' expects a number"):
        resolve_params({"survey.nps_promoter_min": True})
    with pytest.raises(CxpmError, match="unknown metric parameter 'colour'"):
        resolve_params({"colour": "blue"})


def test_resolve_is_idempotent_and_does_not_share_lists():
    once = resolve_params()
    once["states.handling"].append("break")
    assert resolve_params()["states.handling"] == ["on_contact", "wrap"]
    twice = resolve_params(resolve_params(None, ["repeat.window_days=3"]))
    assert twice["repeat.window_days"] == 3


def test_special_days_are_validated_dates() -> None:
    from cxpm.errors import CxpmError
    from cxpm.metrics.params import resolve_params

    params = resolve_params({"forecast.special_days": ["1999-04-01", "1999-09-20"]})
    assert params["forecast.special_days"] == ["1999-04-01", "1999-09-20"]
    assert resolve_params(overrides=["forecast.special_days=1999-04-01,1999-04-07"])[
        "forecast.special_days"] == ["1999-04-01", "1999-04-07"]
    with pytest.raises(CxpmError, match="'1999-13-01' is not a date"):
        resolve_params({"forecast.special_days": ["1999-13-01"]})
