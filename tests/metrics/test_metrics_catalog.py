"""Workspace metric definitions: adding, overriding, and rejecting bad ones at load."""

from __future__ import annotations

import pytest
from metric_helpers import memtables, values

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.metrics.engine import explain

VOICE_ABANDON = {
    "id": "voice_abandonment_rate", "title": "Voice abandonment rate", "family": "service",
    "unit": "ratio", "direction": "lower", "source": "contacts",
    "filter": "inbound and channel == 'voice'", "numerator": "abandoned",
    "denominator": "1", "description": "Abandoned voice contacts / offered voice contacts.",
}


@pytest.fixture(scope="module")
def tables():
    return memtables()


def test_add_a_metric(tables):
    catalog = load_catalog([VOICE_ABANDON])
    assert catalog.ids()[-1] == "voice_abandonment_rate"
    # Voice inbound: c1 c2 c3 c4 c5 c13; abandoned c4 c5 c13.
    got = values(tables, ["voice_abandonment_rate"], catalog=catalog)
    assert got["voice_abandonment_rate"] == 3 / 6


def test_override_only_the_given_fields(tables):
    catalog = load_catalog([{"id": "aht", "numerator": "coalesce(talk_s, 0)"}])
    definition = catalog.get("aht")
    assert definition.title == "Average handle time"
    # Same as avg_talk: 2010 s over 9 handled.
    assert values(tables, ["aht"], catalog=catalog)["aht"] == pytest.approx(2010 / 9)
    assert load_catalog().get("aht").numerator == "handle_s"


def test_custom_sum_metric_with_params_and_functions(tables):
    catalog = load_catalog([{
        "id": "long_waits", "title": "Long waits", "family": "service", "unit": "count",
        "direction": "lower", "source": "contacts", "aggregation": "sum",
        "numerator": "notnull(answered_at) and seconds_between(arrived_at, answered_at) > "
                     "2 * param('service_level.threshold_s')",
        "description": "Answered after twice the default threshold."}])
    # Waits over 40 s: c7 (45), c8 (3600).
    assert values(tables, ["long_waits"], catalog=catalog)["long_waits"] == 2


def test_custom_cross_table_metric(tables):
    catalog = load_catalog([{
        "id": "labor_cost_per_offered", "title": "Labor cost per offered contact",
        "family": "cost", "unit": "currency", "direction": "lower", "source": "costs",
        "filter": "cost_type == 'labor'", "numerator": "amount",
        "denominator_source": "contacts", "denominator": "inbound",
        "description": "Labor cost / offered contacts."}])
    # Labor 1000 + 500 + 800 over 12 offered contacts.
    got = values(tables, ["labor_cost_per_offered"], catalog=catalog)
    assert got["labor_cost_per_offered"] == pytest.approx(2300 / 12)


@pytest.mark.parametrize(("changes", "message"), [
    ({"numerator": "abandonned"}, "metric 'voice_abandonment_rate': numerator: unknown column "
                                  "'abandonned'"),
    ({"filter": "channel = 'voice'"}, "metric 'voice_abandonment_rate': filter: bad syntax"),
    ({"source": "calls"}, "metric 'voice_abandonment_rate': unknown source 'calls'"),
    ({"family": "happiness"}, "metric 'voice_abandonment_rate': field 'family'"),
    ({"colour": "red"}, "metric 'voice_abandonment_rate': unknown field 'colour'"),
    ({"filter": "channel"}, "filter must be true/false, got string"),
    ({"numerator": "channel"}, "numerator must be a number or true/false, got string"),
    ({"numerator": "param('service_level.treshold_s')"}, "unknown parameter "
                                                         "'service_level.treshold_s'"),
    ({"numerator": "upper(channel) == 'VOICE'"}, "unknown function 'upper'"),
    ({"numerator": "talk_s[0]"}, "unsupported syntax Subscript"),
    ({"numerator": "abandoned.sum()"}, "unknown function 'abandoned.sum'"),
    ({"numerator": "channel + 1"}, "arithmetic needs numbers"),
    ({"numerator": "talk_s == None"}, "use isnull"),
    ({"denominator": None}, "a ratio metric needs a denominator"),
    ({"id": "Bad Id"}, "field 'id'"),
])
def test_bad_definitions_are_rejected_with_the_metric_and_problem(changes, message):
    with pytest.raises(CxpmError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_catalog([{**VOICE_ABANDON, **changes}])


def test_missing_field_is_named():
    incomplete = {k: v for k, v in VOICE_ABANDON.items() if k != "description"}
    with pytest.raises(CxpmError, match="metric 'voice_abandonment_rate': missing field "
                                        "'description'"):
        load_catalog([incomplete])
    with pytest.raises(CxpmError, match=r"\[\[metrics\]\] #2: missing field 'id'"):
        load_catalog([VOICE_ABANDON, {"title": "x"}])


def test_bad_override_of_a_builtin_is_rejected():
    with pytest.raises(CxpmError, match="metric 'service_level': denominator: choose"):
        load_catalog([{"id": "service_level",
                       "denominator": "choose(param('service_level.variant'), offered = True)"}])


def test_every_choose_branch_is_checked_not_only_the_default():
    denominator = ("choose(param('service_level.variant'), answered_plus_late_abandons = True, "
                   "offered = True, offered_minus_short_abandons = True, answered = chanel)")
    with pytest.raises(CxpmError, match="metric 'service_level': denominator: unknown column "
                                        "'chanel'"):
        load_catalog([{"id": "service_level", "denominator": denominator}])


def test_unknown_metric_suggests_close_ids():
    with pytest.raises(CxpmError, match="unknown metric 'servce_level'; did you mean "
                                        "service_level"):
        load_catalog().get("servce_level")


def test_explain_gives_formula_parameters_dimensions_and_sql(tables):
    info = explain("service_level", tables,
                   params={"service_level.threshold_s_by_queue.Q3": 50})
    assert info.family == "service" and info.direction == "higher" and info.unit == "ratio"
    assert "param_by('service_level.threshold_s', queue, channel)" in info.formula
    assert info.parameters["service_level.threshold_s_by_queue.Q3"] == 50
    assert info.parameters["service_level.threshold_s_by_channel.email"] == 86400
    assert info.parameters["service_level.variant"] == "answered_plus_late_abandons"
    assert "queue" in info.dimensions and info.sources == ["contacts"]
    assert "SELECT" in info.sql and "'Q3'" in info.sql and "SUM" in info.sql.upper()


def test_explain_cross_table_metric(tables):
    info = explain("cost_per_contact", tables)
    assert info.sources == ["costs", "contacts"]
    assert info.dimensions == ["program", "site", "vendor"]
    assert "CROSS JOIN" in info.sql.upper()
    assert explain("repeat_contact_rate", tables).parameters == {
        "repeat.window_days": 7, "repeat.match_reason": True}
