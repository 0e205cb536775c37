# Hyperparameter searches: fitted in the assignment, and fitted afterwards.
# %%
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %% track
# expect params: param_grid, grid.best_params.C, grid.best_params.kernel
# expect metrics: grid.best_score, test_acc
# expect tables: tables/grid.cv_results.csv
# expect models: grid
# expect output: best parameters: {'C': 
param_grid = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}
grid = GridSearchCV(SVC(), param_grid, cv=3).fit(X_train, y_train)
test_acc = grid.score(X_test, y_test)
print("best parameters:", grid.best_params_)

# %% track
# expect params: search.best_params.logisticregression__C
# expect metrics: search.best_score
# expect tables: tables/search.cv_results.csv, tables/cv_df.csv
# expect models: search
pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
search = GridSearchCV(pipe, {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}, cv=3)
search.fit(X_train, y_train)
cv_df = pd.DataFrame(search.cv_results_)[
    ["param_logisticregression__C", "mean_test_score", "rank_test_score"]]
