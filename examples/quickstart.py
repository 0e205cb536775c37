"""Record a small hyperparameter sweep on iris and print the runs table.

Run from the repository root (``make demo``): the runs go to the embedded
store in ``.nbtrack/`` there.
"""

import warnings

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import nbtrack

warnings.filterwarnings("ignore", category=FutureWarning)
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

nbtrack.set_experiment("iris-quickstart")
for C in (0.01, 0.1, 1.0, 10.0):
    with nbtrack.start_run(name=f"logreg C={C}", params={"C": C, "model": "logreg"}):
        model = LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)
        nbtrack.log_metric("train_acc", model.score(X_train, y_train))
        nbtrack.log_metric("test_acc", model.score(X_test, y_test))
        nbtrack.log_model(model)

best = nbtrack.runs(order_by="metrics.test_acc DESC")
print(best[["run_id", "name", "status", "params.C", "metrics.train_acc",
            "metrics.test_acc"]].to_string(index=False))
print(f"\nbest run: {best.iloc[0].run_id}  (try: nbtrack show {best.iloc[0].run_id})")
