"""The grid grammar of sweeps: NAME=VALUES words, API grids, points, unknown names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbtrack.errors import InvalidValueError
from nbtrack.sweeps.grid import (check_names, grid_points, literal_source, normalise_grid,
                                parse_grid_words, parse_values)


def test_lists_are_python_literals_else_strings():
    assert parse_values("C", "0.01,0.1,1") == [0.01, 0.1, 1]
    assert parse_values("kernel", "rbf,linear") == ["rbf", "linear"]
    assert parse_values("x", "None,True,'1',-2.5,1e-3") == [None, True, "1", -2.5, 0.001]
    assert parse_values("x", " 3 , 4 ") == [3, 4]
    assert [type(v) for v in parse_values("x", "1,1.0")] == [int, float]


def test_ranges_are_inclusive_integers_and_mix_with_values():
    assert parse_values("max_depth", "2..8") == [2, 3, 4, 5, 6, 7, 8]
    assert parse_values("k", "-2..1") == [-2, -1, 0, 1]
    assert parse_values("k", "5..5") == [5]
    assert parse_values("k", "1..3,10") == [1, 2, 3, 10]


def test_commas_inside_brackets_and_quotes_do_not_split():
    assert parse_values("hidden", "(10,),(20,20)") == [(10,), (20, 20)]
    assert parse_values("layers", "[1,2],[3]") == [[1, 2], [3]]
    assert parse_values("opts", "{'a':1,'b':2}") == [{"a": 1, "b": 2}]
    assert parse_values("label", "'a,b',c") == ["a,b", "c"]


@pytest.mark.parametrize("text, message", [
    ("3..1", "range 3..1 of k is empty; write the smaller bound first (1..3)"),
    ("0.1..0.5", "range 0.1..0.5 of k is not of integers"),
    ("1,,2", "empty value in k=1,,2"),
    ("", "empty value in k="),
    ("1..200000", "has 200000 values"),
])
def test_bad_values_say_what_is_wrong(text, message):
    with pytest.raises(InvalidValueError) as caught:
        parse_values("k", text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_words_keep_their_order_and_refuse_bad_names():
    grid = parse_grid_words(["max_depth=2..3", "C=0.1,1"])
    assert list(grid) == ["max_depth", "C"] and grid["C"] == [0.1, 1]
    for words, message in ((["C"], "'C' is not NAME=VALUES"),
                           (["C=1", "C=2"], "C is given twice"),
                           (["2x=1"], "'2x' cannot be a swept param"),
                           (["class=1"], "'class' cannot be a swept param"),
                           ([], "no grid given")):
        with pytest.raises(InvalidValueError, match=message):
            parse_grid_words(words)


def test_points_are_the_cartesian_product_first_name_slowest():
    points = grid_points({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(points) == 6
    assert points[:3] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"}]
    assert points[-1] == {"a": 2, "b": "z"}


def test_api_grids_take_lists_ranges_arrays_and_single_values():
    grid = normalise_grid({"C": (0.1, 1), "depth": range(2, 4), "lr": np.array([0.5, 0.25]),
                           "kernel": "rbf", "seed": np.int64(3)})
    assert grid == {"C": [0.1, 1], "depth": [2, 3], "lr": [0.5, 0.25], "kernel": ["rbf"],
                    "seed": [3]}
    assert all(type(v) is float for v in grid["lr"]), "numpy scalars became Python numbers"
    assert normalise_grid({"opts": [{"a": 1}]}) == {"opts": [{"a": 1}]}


@pytest.mark.parametrize("grid, message", [
    ({}, "a sweep needs a grid"),
    ([("C", [1])], "a sweep needs a grid"),
    ({"C": []}, "no values given for C"),
    ({"C": [object()]}, "cannot be written into a notebook"),
    ({"model.C": [1]}, "'model.C' cannot be a swept param"),
    ({1: [1]}, "grid keys are param names"),
    ({"a": range(1000), "b": range(1000)}, "the grid has 1000000 points"),
])
def test_bad_api_grids_are_refused(grid, message):
    with pytest.raises(InvalidValueError, match=message):
        normalise_grid(grid)


def test_unknown_names_are_named_with_the_params_the_run_has():
    check_names({"C": [1]}, ["C", "depth"], "r-abc")
    with pytest.raises(InvalidValueError) as caught:
        check_names({"gamma": [1], "C": [1]}, ["depth", "C"], "r-abc")
    assert str(caught.value).startswith("run r-abc has no param gamma (its params: C, depth)")


def test_values_are_written_as_source_that_gives_them_back():
    for value in (0.1, -3, "it's", None, (1, "a"), [1.5], {"k": [1]}, True):
        assert eval(literal_source(value)) == value  # noqa: S307 - the literal just made
    assert math.isnan(eval(literal_source(float("nan"))))
    assert eval(literal_source(float("-inf"))) == float("-inf")
    assert literal_source(object()) is None
