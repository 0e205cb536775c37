"""The filter and order-by parser (the store tests check what the filters select)."""

from __future__ import annotations

import pickle

import pytest

from nbtrack.errors import FilterSyntaxError
from nbtrack.filters import BoolOp, Comparison, OrderKey, parse_filter, parse_order_by


def test_mlflow_example_parses():
    assert parse_filter("metrics.acc > 0.9 and params.model = 'rf'") == BoolOp("AND", (
        Comparison("metrics", "acc", ">", 0.9), Comparison("params", "model", "=", "rf")))


@pytest.mark.parametrize("text, expected", [
    ("metric.acc >= 1e-3", Comparison("metrics", "acc", ">=", 0.001)),
    ("params.`learning-rate` = 0.1", Comparison("params", "learning-rate", "=", 0.1)),
    ('params."my key" != "a b"', Comparison("params", "my key", "!=", "a b")),
    ("tags.x LIKE '%a_'", Comparison("tags", "x", "LIKE", "%a_")),
    ("tags.x not ilike 'A%'", Comparison("tags", "x", "NOT ILIKE", "A%")),
    ("attributes.status IN ('FAILED', 'KILLED')",
     Comparison("attributes", "status", "IN", ("FAILED", "KILLED"))),
    ("run_name = 'x'", Comparison("attributes", "name", "=", "x")),
    ("params.model.C == -2", Comparison("params", "model.C", "=", -2)),
    ("metrics.loss < inf", Comparison("metrics", "loss", "<", float("inf"))),
    ("params.x is not null", Comparison("params", "x", "IS NOT NULL", None)),
])
def test_forms(text, expected):
    assert parse_filter(text) == expected


def test_or_binds_looser_than_and():
    node = parse_filter("metrics.a > 1 and metrics.b > 1 or metrics.c > 1")
    assert node.op == "OR" and node.items[0].op == "AND"


@pytest.mark.parametrize("text, position, words", [
    ("metrics.acc >", 13, "expected a value"),
    ("metrics.acc 0.9", 12, "expected an operator"),
    ("metrics.acc > 'high'", 14, "numeric"),
    ("metrics.acc LIKE 'a%'", 12, "LIKE works on params"),
    ("colour = 'red'", 0, "unknown attribute"),
    ("foo.bar = 1", 0, "unknown field kind"),
    ("params.a = 1 params.b = 2", 13, "join conditions"),
    ("(params.a = 1", 13, "expected ')'"),
    ("params.a = 'unterminated", 11, "unexpected character"),
    ("start_time > 'yesterday'", None, "time in seconds"),
])
def test_errors_point_at_the_bad_token(tracker, text, position, words):
    with pytest.raises(FilterSyntaxError) as info:
        tracker.runs(filter=text)
    message = str(info.value)
    assert words in message and "\n" not in message
    if position is not None:
        assert info.value.position == position
        assert f"position {position}" in message


def test_error_survives_pickling():
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("metrics.acc >")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value) and again.position == 13


def test_order_by_forms():
    assert parse_order_by(["metrics.acc DESC", "params.C"]) == [
        OrderKey("metrics", "acc", True), OrderKey("params", "C", False)]
    assert parse_order_by("start_time desc, name") == [
        OrderKey("attributes", "start_time", True), OrderKey("attributes", "name", False)]
    with pytest.raises(FilterSyntaxError, match="ASC or DESC"):
        parse_order_by("metrics.acc sideways")
