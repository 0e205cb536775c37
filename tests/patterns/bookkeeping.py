# Bookkeeping that must not be recorded: loop counters, names unpacked in a loop,
# timestamps, lengths and shapes, plot limits and mesh arithmetic, a loop's last score.
# %%
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import Ridge, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
Xd, yd = load_diabetes(return_X_y=True)
Xd_train, Xd_test, yd_train, yd_test = train_test_split(Xd, yd, random_state=0)

# %% track
# expect params: max_epochs
# expect histories: epoch_acc
# expect models: sgd
start = time.time()
n = len(X_train)
n_samples, n_features = X_train.shape
classes = np.unique(y)
max_epochs = 5
sgd = SGDClassifier(random_state=0)
epoch = 0
epoch_acc = []
while epoch < max_epochs:
    sgd.partial_fit(X_train, y_train, classes=classes)
    epoch_acc.append(sgd.score(X_test, y_test))
    epoch += 1

# %% track
# expect params: n_neighbors
# expect metrics: acc
# expect models: knn
# acceptable: h
X2_train, X2_test = X_train[:, :2], X_test[:, :2]
h = 0.05
n_neighbors = 15
knn = KNeighborsClassifier(n_neighbors=n_neighbors).fit(X2_train, y_train)
acc = knn.score(X2_test, y_test)
x_min, x_max = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
y_min, y_max = X[:, 1].min() - 0.5, X[:, 1].max() + 0.5
xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
Zm = knn.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
panels = [("train", X2_train, y_train), ("test", X2_test, y_test)]
positions = [divmod(k, 2) for k in range(len(panels))]
fig, axes = plt.subplots(1, 2, figsize=(8, 4), squeeze=False)
for k, (title, Xp, yp) in enumerate(panels):
    row, col = positions[k]
    ax = axes[row, col]
    ax.contourf(xx, yy, Zm, alpha=0.4)
    ax.scatter(Xp[:, 0], Xp[:, 1], c=yp, s=15, edgecolor="k")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title(f"{title}: accuracy {acc:.2f}")
plt.close(fig)

# %% track
# expect params: alphas
# expect metrics: best_alpha
# expect histories: val_scores
alphas = [0.01, 0.1, 1.0, 10.0]
val_scores = []
for alpha in alphas:
    score = Ridge(alpha=alpha).fit(Xd_train, yd_train).score(Xd_test, yd_test)
    val_scores.append(score)
best_alpha = alphas[int(np.argmax(val_scores))]

# %% track
# expect params: train_size
# expect metrics: sv_ratio
# expect models: svr
# a quotient of sizes named as a ratio is a result; one that is not stays bookkeeping
from sklearn.svm import SVR

train_size = 100
svr = SVR(kernel="rbf", gamma=0.1).fit(Xd[:train_size], yd[:train_size])
sv_ratio = svr.support_.shape[0] / train_size
n_batches = len(Xd) / train_size
fold_size = len(Xd) // 5
