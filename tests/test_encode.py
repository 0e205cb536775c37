"""The one JSON encoding of the CLI's --json and the server's replies."""

from __future__ import annotations

import json
import math
from pathlib import Path

from nbtrack.views.encode import jsonable, to_json


def _strict(text: str):
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_text_at_any_depth():
    data = {"acc": math.nan, "grid": [1.0, math.inf, {"low": -math.inf}], "pair": (1, 2)}
    assert _strict(to_json(data)) == {"acc": "nan", "grid": [1.0, "inf", {"low": "-inf"}],
                                      "pair": [1, 2]}


def test_what_json_cannot_hold_is_sent_as_its_text():
    assert _strict(to_json({"where": Path("a/b.csv")})) == {"where": "a/b.csv"}


def test_finite_values_pass_unchanged():
    data = {"n": 3, "x": 0.25, "flag": True, "none": None, "s": "nan"}
    assert jsonable(data) == data
    assert to_json(data, indent=2) == json.dumps(data, indent=2)
