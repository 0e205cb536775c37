# An untracked cell creates a scaler and changes it (fit_transform); the tracked
# cell uses only the scaled array.
# %%
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

X, _ = load_iris(return_X_y=True)

# %%
sc = StandardScaler()
Z = sc.fit_transform(X)

# %% track
# expect params: n_clusters
# expect metrics: inertia, silhouette
# expect models: km
# expect inputs: Z
# expect export: Z = sc.fit_transform(X)
n_clusters = 3
km = KMeans(n_clusters=n_clusters, n_init=10, random_state=0).fit(Z)
inertia = km.inertia_
silhouette = silhouette_score(Z, km.labels_)
