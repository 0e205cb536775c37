# Timing figures are metrics, but reproduce must not judge them.
# %%
import time

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score, train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %% track
# expect params: n_estimators
# expect metrics: fit_seconds, acc
# expect models: forest
# timing: fit_seconds
n_estimators = 30
start = time.time()
forest = RandomForestClassifier(n_estimators=n_estimators, random_state=0)
forest.fit(X_train, y_train)
fit_seconds = time.time() - start
acc = forest.score(X_test, y_test)

# %% track
# expect metrics: cv_seconds
# expect histories: cv_scores
# timing: cv_seconds
t0 = time.perf_counter()
cv_scores = cross_val_score(RandomForestClassifier(n_estimators=10, random_state=0), X, y, cv=3)
cv_seconds = time.perf_counter() - t0

# %% track nondeterministic
# expect metrics: unseeded_acc
# expect models: unseeded
unseeded = RandomForestClassifier(n_estimators=10).fit(X_train, y_train)
unseeded_acc = unseeded.score(X_test, y_test)
