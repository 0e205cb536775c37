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
