# Two tracked cells in a chain: the second evaluates the pipeline the first fitted.
# %%
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

# %% track
# expect params: C
# expect metrics: train_acc
# expect models: pipe
C = 0.3
pipe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
pipe.fit(X_train, y_train)
train_acc = pipe.score(X_train, y_train)

# %% track
# expect metrics: test_acc, test_log_loss, test_auc
# expect export: pipe.fit(X_train, y_train)
proba = pipe.predict_proba(X_test)
test_acc = pipe.score(X_test, y_test)
test_log_loss = log_loss(y_test, proba)
test_auc = roc_auc_score(y_test, proba, multi_class="ovr")
