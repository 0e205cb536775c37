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
    ("metrics.acc > 'high'", 14, "metrics.acc is a number; compare it with a number"),
    ("metrics.acc LIKE 'a%'", 12, "LIKE works on params"),
    ("colour = 'red'", 0, "unknown attribute"),
    ("foo.bar = 1", 0, "unknown field kind"),
    ("params.a = 1 params.b = 2", 13, "join conditions"),
    ("(params.a = 1", 13, "expected ')'"),
    ("params.a = 'unterminated", 11, "unterminated '...' string"),
    ("start_time > 'yesterday'", 13, "start_time is a number (seconds since the epoch)"),
    ("metrics.acc > 0.9 and and params.m = 'a'", 22, "after 'and', found 'and'"),
    ("NOT metrics.acc > 0.9", 0, "NOT before a condition is not supported"),
    ("metrics.acc > 0.9and params.m = 'a'", 14, "'0.9and' is not a number"),
    ("tags.n = 5", 9, "tags.n is text; quote the value (tags.n = '5')"),
    ("tags.n < '9'", 7, "tags.n is text; compare it with =, !=, LIKE, ILIKE or IN"),
    ("attributes.status = 1", 20, "attribute status is text"),
    ("status = 'failed'", None, "no run status 'failed'; statuses are RUNNING, FINISHED"),
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


def test_order_by_errors_say_order_by_and_refuse_a_key_twice():
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_by(["metrics.acc ASC", "metrics.acc DESC"])
    assert str(info.value) == ("bad order_by at position 0: 'metrics.acc DESC': metrics.acc "
                               "is listed twice; keep one direction (example: metrics.acc "
                               "DESC, start_time)")


@pytest.mark.parametrize("text, expected", [
    ("params.path = 'C:\\temp'", Comparison("params", "path", "=", "C:\\temp")),
    ("params.p LIKE 'a\\_b'", Comparison("params", "p", "LIKE", "a\\_b")),
    ("params.x = 'it''s'", Comparison("params", "x", "=", "it''s")),
    ("`metric`.acc > 1", Comparison("metrics", "acc", ">", 1)),
    ("`tags`.x = 'a'", Comparison("tags", "x", "=", "a")),
    ("parameter.x = 'a'", Comparison("params", "x", "=", "a")),
    ("params.精度 = 'high'", Comparison("params", "精度", "=", "high")),
    ("attributes.`Run name` = 'a'", Comparison("attributes", "name", "=", "a")),
    ("`run name` = 'a'", Comparison("attributes", "name", "=", "a")),
    ("attributes.created > 5", Comparison("attributes", "start_time", ">", 5)),
    ("created > 1800000000000", Comparison("attributes", "start_time", ">", 1_800_000_000.0)),
])
def test_literals_keep_their_characters_and_mlflow_spellings_parse(text, expected):
    assert parse_filter(text) == expected


def test_created_orders_like_start_time():
    assert parse_order_by("attributes.created DESC") == [
        OrderKey("attributes", "start_time", True)]
