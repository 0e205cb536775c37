# Ordinary good cells: literal hyperparameters, a computed score, a training curve.
# %%
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)

# %% track
# expect params: C, fit_intercept, max_iter
# expect metrics: acc
# expect models: clf
C = 0.5
fit_intercept = True
max_iter = 1000
clf = LogisticRegression(C=C, fit_intercept=fit_intercept, max_iter=max_iter)
clf.fit(X_train, y_train)
acc = clf.score(X_test, y_test)

# %% track
# expect params: hidden_layer_sizes, learning_rate_init, n_epochs
# expect metrics: val_acc
# expect histories: losses, val_accs
# expect models: mlp
hidden_layer_sizes = (16,)
learning_rate_init = 0.01
n_epochs = 15
mlp = MLPClassifier(hidden_layer_sizes=hidden_layer_sizes,
                    learning_rate_init=learning_rate_init, random_state=0)
losses = []
val_accs = []
for epoch in range(n_epochs):
    mlp.partial_fit(X_train, y_train, classes=np.unique(y_train))
    losses.append(mlp.loss_)
    val_accs.append(mlp.score(X_test, y_test))
val_acc = val_accs[-1]
