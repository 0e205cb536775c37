"""The capture rules: static analysis of a cell and classification of the names it leaves."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.analysis.cells import NOT_LITERAL, analyze
from nbtrack.capture.classify import classify


def rules(code, namespace, rebound=None, **options):
    """Classify ``namespace`` as left by ``code`` (every bound name rebound by default)."""
    analysis = analyze(code)
    return classify(analysis, namespace, analysis.bound if rebound is None else rebound,
                    **options)


def last_run():
    table = nbtrack.tracker().store.search(limit=1)
    return nbtrack.get_run(table.base["run_id"][0])


@pytest.mark.parametrize("code, literal", [
    ("x = 3", 3), ("x = -2.5", -2.5), ("x = 'rbf'", "rbf"), ("x = None", None),
    ("x = True", True), ("x = (1, 'a')", (1, "a")), ("x = {'a': [1, 2]}", {"a": [1, 2]}),
    ("x: int = 4", 4), ("x = 1\nx = 2", 2)])
def test_literal_assignments(code, literal):
    assert analyze(code).literals["x"] == literal


@pytest.mark.parametrize("code", ["x = 2 ** 3", "x = f(1)", "x = 1\nx += 1", "x = y = [a]",
                                  "for x in range(3): pass", "import x", "(x := 5)"])
def test_computed_bindings_are_not_literals(code):
    assert analyze(code).literals["x"] is NOT_LITERAL


def test_tuple_unpacking_of_literals_sets_each_name():
    analysis = analyze("a, b = 1, 'two'\nc, d = f()\n[e, g] = [0.5, h]")
    assert analysis.literals["a"] == 1 and analysis.literals["b"] == "two"
    assert analysis.literals["c"] is NOT_LITERAL and analysis.literals["d"] is NOT_LITERAL
    assert analysis.literals["e"] == 0.5 and analysis.literals["g"] is NOT_LITERAL


def test_unconditional_bindings_leave_out_branches_loops_and_try():
    analysis = analyze("a = f()\nwith open(p) as fh:\n    b = g(fh)\nif c0:\n    c = 1\n"
                       "for i in r:\n    d = i\ntry:\n    e = 1\nexcept E:\n    pass\n"
                       "def h():\n    inner = 1\n")
    assert analysis.unconditional == {"a", "fh", "b", "h"}
    assert {"c", "d", "e", "i"} <= analysis.bound


def test_reads_fits_and_appends():
    analysis = analyze("model.fit(X, y)\nscaler.fit_transform(X)\nlosses.append(1)\n"
                       "def f(a):\n    return a + k\n")
    assert analysis.fitted == {"model", "scaler"}
    assert analysis.appended == {"losses"}
    assert {"model", "X", "y", "scaler", "losses", "k"} <= analysis.reads
    assert "a" not in analysis.reads


def test_param_reassigned_from_a_computation_is_a_metric():
    out = rules("lr = 0.1\nlr = lr * 0.5", {"lr": 0.05})
    assert out.params == {} and out.metrics == {"lr": 0.05}


def test_literal_whose_value_changed_in_place_is_not_a_param():
    out = rules("sizes = [1, 2]\nsizes.append(3)", {"sizes": [1, 2, 3]})
    assert out.params == {} and out.histories == {"sizes": [1.0, 2.0, 3.0]}


def test_bools_are_neither_params_from_computation_nor_metrics():
    out = rules("ok = a > b\nflag = np.bool_(1)", {"ok": True, "flag": np.bool_(True)})
    assert out.params == {} and out.metrics == {} and out.histories == {}


def test_numpy_scalars_are_metrics_and_numpy_params_are_plain():
    out = rules("m = f()\nn = g()", {"m": np.float32(0.5), "n": np.int64(7)})
    assert out.metrics == {"m": 0.5, "n": 7.0}
    assert all(type(v) is float for v in out.metrics.values())
    explicit = rules("m = f()", {"m": np.float64(0.5)}, params=["m"])
    assert explicit.params == {"m": 0.5} and type(explicit.params["m"]) is float


def test_non_numeric_and_nested_lists_are_not_histories():
    out = rules("words = f()\nmixed = g()\nnested = h()\nflags = k()\nempty = e()",
                {"words": ["a", "b"], "mixed": [1, "x"], "nested": [[1.0], [2.0]],
                 "flags": [True, False], "empty": []})
    assert out.histories == {} and out.metrics == {}


def test_arrays_are_not_histories_unless_named():
    ns = {"pred": np.array([0.1, 0.2])}
    assert rules("pred = f()", ns).histories == {}
    assert rules("pred = f()", ns, metrics=["pred"]).histories == {"pred": [0.1, 0.2]}


def test_loop_variables_and_last_iteration_values_are_not_metrics():
    out = rules("for epoch in range(3):\n    last = epoch * 2\nfinal = last + 1",
                {"epoch": 2, "last": 4, "final": 5})
    assert out.metrics == {"final": 5.0}


def test_names_the_cell_did_not_bind_are_ignored():
    out = rules("if False:\n    acc = 1.0", {"acc": 0.5}, rebound=set())
    assert out.metrics == {}


def test_unchanged_small_ints_still_count_when_the_cell_ran_to_its_end():
    # ``n = x.count(2)`` can leave the very same int object as the previous run did
    out = rules("n = x.count(2)", {"n": 3, "x": [2, 2, 2]}, rebound=set())
    assert out.metrics == {"n": 3.0}
    failed = rules("n = x.count(2)", {"n": 3, "x": [2, 2, 2]}, rebound=set(), completed=False)
    assert failed.metrics == {}


def test_explicit_options_replace_the_rules():
    ns = {"C": 0.5, "acc": 0.9, "other": 2.0, "missing_ok": 1}
    out = rules("C = 0.5\nacc = f()\nother = g()", ns, params=["acc"], metrics=["C", "nope"])
    assert out.params == {"acc": 0.9} and out.metrics == {"C": 0.5}
    assert "nope" in out.skipped


def test_injected_parameters_read_by_the_cell_are_params():
    out = rules("score = alpha * 2", {"alpha": 0.4, "score": 0.8, "beta": 1},
                injected={"alpha": 0.4, "beta": 1})
    assert out.params == {"alpha": 0.4} and out.metrics == {"score": 0.8}


def test_rerunning_an_identical_cell_records_the_same_metrics(ip):
    for _ in range(2):
        ip.run_cell("%%track --quiet\nx = [1, 2, 3]\ntotal = sum(x)\nn = x.count(2)",
                    store_history=True)
        assert last_run().metrics == {"total": 6.0, "n": 1.0}


def test_tuple_unpacked_literals_are_params_in_a_cell(ip):
    ip.run_cell("%%track --quiet\nC, gamma = 0.5, 'scale'\nscore = C * 2", store_history=True)
    run = last_run()
    assert run.params == {"C": 0.5, "gamma": "scale"} and run.metrics == {"score": 1.0}


def test_estimator_made_earlier_and_fitted_by_the_cell_is_saved(ip):
    ip.run_cell("from sklearn.linear_model import LinearRegression\nreg = LinearRegression()",
                store_history=True)
    ip.run_cell("%%track --quiet\nreg.fit([[0.0], [1.0], [2.0]], [0.0, 2.0, 4.0])\n"
                "slope = float(reg.coef_[0])", store_history=True)
    run = last_run()
    assert [a.name for a in run.artifacts] == ["reg"]
    assert run.params["reg.fit_intercept"] is True
    assert run.metrics["slope"] == pytest.approx(2.0)


# --- bookkeeping is not a result ---------------------------------------------------

@pytest.mark.parametrize("code, namespace", [
    ("i = 0\nwhile i < 3:\n    i += 1", {"i": 3}),
    ("for k in range(2):\n    row, col = positions[k]", {"k": 1, "row": 4, "col": 5}),
    ("for a in alphas:\n    score = fit(a)", {"a": 2, "score": 0.9}),
    ("start = time.time()", {"start": 1.8e9}),
    ("t0 = perf_counter()", {"t0": 12.5}),
    ("n = len(data)", {"n": 30}),
    ("n_samples, n_features = X.shape", {"n_samples": 150, "n_features": 4}),
    ("n_train = int(0.8 * len(X))", {"n_train": 120}),
    ("x_min, x_max = X.min() - .5, X.max() + .5\nxx = np.arange(x_min, x_max, h)",
     {"x_min": -0.5, "x_max": 7.5}),
    ("top = ys.max() + 1\nax.set_ylim(0, top)", {"top": 9.0}),
])
def test_bookkeeping_numbers_are_not_metrics(code, namespace):
    out = rules(code, namespace)
    assert out.metrics == {} and out.histories == {} and out.params == {}


def test_timing_figures_are_metrics_marked_as_timing():
    code = ("start = time.time()\nfit()\nelapsed = time.time() - start\n"
            "durations = []\nfor _ in r:\n    t = time.time()\n"
            "    durations.append(time.time() - t)\n"
            "fit_time = cv['fit_time'].mean()")
    out = rules(code, {"start": 1.8e9, "elapsed": 0.25, "durations": [0.1, 0.2], "t": 1.8e9,
                       "fit_time": 0.01})
    assert out.metrics == {"elapsed": 0.25, "fit_time": 0.01}
    assert out.histories == {"durations": [0.1, 0.2]}
    assert out.timing == {"elapsed", "durations", "fit_time"}


def test_a_result_computed_after_a_loop_from_its_counters_is_a_metric():
    out = rules("correct = 0\nfor p, t in pairs:\n    correct += p == t\nacc = correct / n",
                {"correct": 8, "acc": 0.8, "p": 1, "t": 1})
    assert out.metrics == {"acc": 0.8}


# --- results kept in containers ---------------------------------------------------

def test_arrays_the_cell_fills_or_scores_are_histories():
    code = ("test_score = np.zeros(3)\nfor i in range(3):\n    test_score[i] = f(i)\n"
            "scores = cross_val_score(m, X, y)\nval_loss = g()\npred = m.predict(X)")
    ns = {"test_score": np.array([0.1, 0.2, 0.3]), "scores": np.array([0.9, 0.95]),
          "val_loss": np.array([1.5, 1.0]), "pred": np.array([0.0, 1.0]), "i": 2}
    out = rules(code, ns)
    assert out.histories == {"test_score": [0.1, 0.2, 0.3], "scores": [0.9, 0.95],
                             "val_loss": [1.5, 1.0]}
    assert out.metrics == {}


def test_dicts_of_scores_are_keyed_metrics_and_histories():
    code = ("results = {}\nfor name, m in models:\n    results[name] = m.score(X, y)\n"
            "cv = cross_validate(m, X, y)\nreport = {'lr': {'acc': a, 'f1': b}}")
    ns = {"results": {"lr": 0.9, "gnb": np.float64(0.8)},
          "cv": {"test_score": np.array([0.9, 1.0]), "fit_time": np.array([0.01, 0.02])},
          "report": {"lr": {"acc": 0.9, "f1": 0.85}}, "name": "gnb", "m": object()}
    out = rules(code, ns)
    assert out.metrics == {"results.lr": 0.9, "results.gnb": 0.8, "report.lr.acc": 0.9,
                           "report.lr.f1": 0.85}
    assert out.histories == {"cv.test_score": [0.9, 1.0], "cv.fit_time": [0.01, 0.02]}
    assert out.timing == {"cv.fit_time"}


def test_a_literal_dict_stays_a_param():
    out = rules("grid = {'C': [0.1, 1.0]}", {"grid": {"C": [0.1, 1.0]}})
    assert out.params == {"grid": {"C": [0.1, 1.0]}} and out.metrics == {}


def test_tables_of_scores_are_kept_and_other_tables_are_not():
    pd = pytest.importorskip("pandas")
    scores = pd.DataFrame({"model": ["lr", "gnb"], "accuracy": [0.9, 0.8]})
    features = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    out = rules("score_df = pd.DataFrame(rows)\nsummary = scores_of(ms)\nfeatures = load()",
                {"score_df": scores, "summary": scores, "features": features})
    assert sorted(out.tables) == ["tables/score_df.csv", "tables/summary.csv"]


def test_search_results_are_params_a_metric_and_a_table():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(SVC(), {"C": [0.5, 2.0], "kernel": ["linear"]}, cv=3).fit(X, y)
    out = rules("search = GridSearchCV(SVC(), grid).fit(X, y)", {"search": search})
    assert out.params == {"search.best_params.C": search.best_params_["C"],
                          "search.best_params.kernel": "linear"}
    assert out.metrics == {"search.best_score": search.best_score_}
    table = out.tables["tables/search.cv_results.csv"]
    assert len(table) == 2 and "mean_test_score" in table.columns


# --- analysis of the forms real notebooks use ----------------------------------

def test_chained_fits_are_fits_of_the_root_name():
    analysis = analyze("m.set_params(alpha=0.1).fit(X, y)\npipe.steps[0][1].fit(X)")
    assert analysis.fitted == {"m", "pipe"}


def test_dict_of_literal_keywords_is_a_param():
    out = rules("settings = dict(C=1.0, kernel='rbf')", {"settings": {"C": 1.0, "kernel": "rbf"}})
    assert out.params == {"settings": {"C": 1.0, "kernel": "rbf"}} and out.metrics == {}
