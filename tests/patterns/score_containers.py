# Containers of scores: an array filled element-wise, cross_val_score, cross_validate,
# a dict filled in a loop, a DataFrame of scores.
# %%
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Lasso, Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import cross_val_score, cross_validate, train_test_split
from sklearn.svm import SVC

Xd, yd = load_diabetes(return_X_y=True)
Xd_train, Xd_test, yd_train, yd_test = train_test_split(Xd, yd, test_size=0.2, random_state=13)
Xi, yi = load_iris(return_X_y=True)

# %% track
# expect params: params
# expect metrics: mse
# expect histories: test_score
# expect models: reg
# expect output: The mean squared error (MSE) on test set:
params = {"n_estimators": 60, "max_depth": 3, "min_samples_split": 5, "learning_rate": 0.05}
reg = GradientBoostingRegressor(random_state=0, **params)
reg.fit(Xd_train, yd_train)
mse = mean_squared_error(yd_test, reg.predict(Xd_test))
print("The mean squared error (MSE) on test set: {:.4f}".format(mse))
test_score = np.zeros((params["n_estimators"],), dtype=np.float64)
for i, y_pred in enumerate(reg.staged_predict(Xd_test)):
    test_score[i] = mean_squared_error(yd_test, y_pred)

# %% track
# expect histories: scores
# expect output: accuracy with a standard deviation of
# acceptable: scores.mean, scores.std
svc = SVC(kernel="linear", C=1)
scores = cross_val_score(svc, Xi, yi, cv=5)
print(f"{scores.mean():.2f} accuracy with a standard deviation of {scores.std():.2f}")

# %% track
# expect metrics: mean_r2
# expect histories: cv.test_score, cv.train_score
# acceptable: cv.fit_time, cv.score_time
# timing: cv.fit_time, cv.score_time
cv = cross_validate(Ridge(alpha=1.0), Xd, yd, cv=4, return_train_score=True)
mean_r2 = cv["test_score"].mean()

# %% track
# expect metrics: results.ridge, results.lasso
# expect tables: tables/score_df.csv
results = {}
for name, est in [("ridge", Ridge(alpha=1.0)), ("lasso", Lasso(alpha=0.1))]:
    score = cross_val_score(est, Xd, yd, cv=4).mean()
    results[name] = score
score_df = pd.DataFrame({"model": list(results), "mean_r2": list(results.values())})
score_df

# %% track
# expect histories: train_scores.mean, test_scores.mean
# expect params: depths
from sklearn.model_selection import validation_curve
from sklearn.tree import DecisionTreeRegressor

depths = [1, 2, 4, 8]
train_scores, test_scores = validation_curve(
    DecisionTreeRegressor(random_state=0), Xd, yd, param_name="max_depth",
    param_range=depths, cv=3)

# %% track
# expect histories: train_scores_svr.mean, test_scores_svr.mean
from sklearn.model_selection import learning_curve

train_sizes, train_scores_svr, test_scores_svr = \
    learning_curve(SVC(kernel="linear"), Xi, yi, train_sizes=np.linspace(0.3, 1, 4), cv=3)
