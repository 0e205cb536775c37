"""Results a cell only prints or displays are recorded; what it prints is unchanged."""

from __future__ import annotations

import pytest

from tracked_cells import run_tracked

pytest.importorskip("sklearn")

SETUP = ("import numpy as np\nfrom sklearn.datasets import load_iris\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "from sklearn.metrics import accuracy_score\n"
         "X, y = load_iris(return_X_y=True)\n"
         "lr = LogisticRegression(max_iter=500).fit(X, y)")


def tracked(ip, body):
    run = run_tracked(ip, SETUP, body)
    return run, ip.user_ns["lr"].score(ip.user_ns["X"], ip.user_ns["y"])


def test_printed_results_are_metrics_keyed_by_their_label(ip, capsys):
    run, acc = tracked(ip, 'print("Accuracy score:", accuracy_score(y, lr.predict(X)))\n'
                           'print("Score with all features: %f" % lr.score(X, y))\n'
                           'print(f"test accuracy {lr.score(X, y):.3f}")\n'
                           'print(lr.score(X, y))')
    assert run.metrics == {"accuracy_score": acc, "score_with_all_features": acc,
                           "test_accuracy": acc, "lr.score": acc}
    printed = capsys.readouterr().out
    assert f"Accuracy score: {acc}\n" in printed and f"test accuracy {acc:.3f}\n" in printed


def test_a_result_printed_in_a_loop_is_a_history(ip):
    run, _ = tracked(ip, "for c in [10, 1, 0.01]:\n"
                         "    clf = LogisticRegression(C=c, max_iter=500).fit(X, y)\n"
                         "    print('C:', c)\n    print('Training accuracy:', clf.score(X, y))")
    assert list(run.metrics) == ["training_accuracy"]
    history = run.history("training_accuracy")
    assert list(history["step"]) == [0, 1, 2] and history["value"].iloc[2] < 0.9


def test_bookkeeping_and_named_results_are_not_noted_twice(ip):
    run, acc = tracked(ip, "acc = lr.score(X, y)\nprint(f'accuracy: {acc:.3f}')\n"
                           "print('samples:', len(X), 'mean feature', X.mean())")
    assert run.metrics == {"acc": acc}


def test_a_displayed_score_is_a_metric_and_a_displayed_size_is_not(ip):
    run, acc = tracked(ip, "lr.score(X, y)")
    assert run.metrics == {"lr.score": acc}
    sized, _ = tracked(ip, "len(X)")
    assert sized.metrics == {}


def test_the_note_function_leaves_the_namespace(ip):
    tracked(ip, "print('score', lr.score(X, y))")
    assert "__nbtrack_note__" not in ip.user_ns
