"""Property tests: whatever is accepted round-trips exactly; the rest is refused clearly."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.errors import InvalidValueError
from nbtrack.store import open_store
from nbtrack.tracking import Tracker
from nbtrack.validation import MAX_KEY_LENGTH

keys = st.text(st.characters(min_codepoint=32, blacklist_categories=("Cs", "Cc")),
               min_size=1, max_size=MAX_KEY_LENGTH).filter(lambda k: k.strip())
special_floats = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, -0.0, 0.0,
                                  5e-324, 1.7976931348623157e308])
floats = st.floats(allow_nan=True, allow_infinity=True) | special_floats
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | floats | st.text(max_size=300))
param_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                            max_leaves=8)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def same(a, b) -> bool:
    """Equality where NaN equals NaN and the sign of zero counts."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def shared_tracker(request, tmp_path_factory):
    uri = "memory:" if request.param == "memory" else \
        f"sqlite://{tmp_path_factory.mktemp('prop') / 'store'}"
    store = open_store(uri)
    yield Tracker(store)
    store.close()


@SETTINGS
@given(key=keys, value=param_values)
def test_params_round_trip(shared_tracker, key, value):
    with shared_tracker.start_run(capture_environment=False) as run:
        shared_tracker.log_params({key: value})
    assert same(shared_tracker.get_run(run.run_id).params[key], value)


@SETTINGS
@given(key=keys, values=st.lists(floats | st.integers(-(2**53), 2**53), min_size=1, max_size=5),
       step=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_metrics_round_trip(shared_tracker, key, values, step):
    with shared_tracker.start_run(capture_environment=False) as run:
        for i, value in enumerate(values):
            shared_tracker.log_metric(key, value, step=step if i == 0 else None) \
                if step + i < 2**63 else None
    history = shared_tracker.store.metric_history(run.run_id, key)
    logged = [float(v) for i, v in enumerate(values) if step + i < 2**63]
    assert len(history) == len(logged)
    assert all(same(m.value, v) for m, v in zip(history, logged))
    assert history[0].step == step
    latest = shared_tracker.get_run(run.run_id).metrics[key]
    assert same(latest, logged[-1])


@SETTINGS
@given(key=keys, value=st.text(max_size=2000))
def test_tags_round_trip(shared_tracker, key, value):
    with shared_tracker.start_run(capture_environment=False) as run:
        shared_tracker.set_tag(key, value)
    assert shared_tracker.get_run(run.run_id).tags[key] == value


@SETTINGS
@given(key=st.one_of(st.just(""), st.just("   "), st.text(min_size=MAX_KEY_LENGTH + 1,
                                                          max_size=MAX_KEY_LENGTH + 5),
                     st.text(min_size=1, max_size=10).map(lambda s: s + "\x07"),
                     st.integers(), st.none()))
def test_bad_keys_are_refused_with_one_line(shared_tracker, key):
    with shared_tracker.start_run(capture_environment=False):
        for call in (lambda: shared_tracker.log_metric(key, 1.0),
                     lambda: shared_tracker.log_params({key: 1}),
                     lambda: shared_tracker.set_tag(key, "v")):
            with pytest.raises(InvalidValueError) as info:
                call()
            assert "\n" not in str(info.value)


@SETTINGS
@given(value=st.one_of(st.text(), st.none(), st.complex_numbers(), st.lists(st.floats()),
                       st.booleans()))
def test_non_numbers_are_refused_as_metrics(shared_tracker, value):
    with shared_tracker.start_run(capture_environment=False):
        with pytest.raises(InvalidValueError, match="must be a number"):
            shared_tracker.log_metric("m", value)


def test_very_long_unicode_key_and_100k_param(shared_tracker):
    key = "ключ-🔑-" * 100
    text = "x" * 100_000
    with shared_tracker.start_run(capture_environment=False) as run:
        shared_tracker.log_params({key: text, "empty": ""})
        shared_tracker.log_metric(key, 1.0, step=2**63 - 1)
    got = shared_tracker.get_run(run.run_id)
    assert got.params[key] == text and got.params["empty"] == ""
    assert shared_tracker.store.metric_history(run.run_id, key)[0].step == 2**63 - 1
