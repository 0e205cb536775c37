# An estimator class defined in the notebook itself.
# %%
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
class MyLR(LinearRegression):
    """Linear regression whose predictions stay inside the target's range."""

    def predict(self, X):
        return np.clip(super().predict(X), 25.0, 346.0)

# %% track
# expect metrics: r2
# expect models: reg
# expect warning: MyLR
# expect export: class MyLR(LinearRegression):
reg = MyLR().fit(X_train, y_train)
r2 = reg.score(X_test, y_test)

# %%
from sklearn.model_selection import GridSearchCV
from sklearn.linear_model import Ridge


def lowest_rank(cv_results):
    """A refit strategy typed into the notebook: the best-ranked candidate."""
    return int(cv_results["rank_test_score"].argmin())

# %% track
# expect models: search
# expect params: search.best_params.alpha
# expect tables: tables/search.cv_results.csv
# expect warning: lowest_rank
# expect export: def lowest_rank(cv_results):
search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0]}, cv=3, refit=lowest_rank)
search.fit(X_train, y_train)
