# Models fitted in the ways notebooks fit them: a chained set_params().fit(), through a
# loop variable, only inside a list, inside a dict.
# %%
from sklearn.datasets import load_diabetes, make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

Xr, yr = load_diabetes(return_X_y=True)
Xr_train, Xr_test, yr_train, yr_test = train_test_split(Xr, yr, random_state=0)
X, y = make_classification(n_samples=300, n_features=8, n_informative=4, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
m = Ridge()

# %% track
# expect params: m.alpha
# expect metrics: r2
# expect models: m
# expect export: m = Ridge()
m.set_params(alpha=0.1).fit(Xr_train, yr_train)
r2 = m.score(Xr_test, yr_test)

# %% track
# expect metrics: accuracy.lr, accuracy.gnb
# expect models: lr, gnb
lr = LogisticRegression(max_iter=1000)
gnb = GaussianNB()
accuracy = {}
for name, clf in [("lr", lr), ("gnb", gnb)]:
    clf.fit(X_train, y_train)
    accuracy[name] = clf.score(X_test, y_test)

# %% track
# expect histories: list_accs
# expect models: classifiers.0, classifiers.1
classifiers = [LogisticRegression(max_iter=1000), GaussianNB()]
for clf in classifiers:
    clf.fit(X_train, y_train)
list_accs = [clf.score(X_test, y_test) for clf in classifiers]

# %% track
# expect metrics: test_acc.lr, test_acc.tree
# expect models: models.lr, models.tree
models = {
    "lr": LogisticRegression(C=0.5, max_iter=1000),
    "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
}
for key, model in models.items():
    model.fit(X_train, y_train)
test_acc = {key: model.score(X_test, y_test) for key, model in models.items()}

# %%
clf = LogisticRegression(random_state=0, class_weight="balanced")

# %% track
# expect models: model
# the estimator made earlier and fitted here is saved once, under the name the fit's
# result is bound to: the name the notebook goes on using
model = clf.fit(X_train, y_train)

# %%
model.predict(X_test[:2])
