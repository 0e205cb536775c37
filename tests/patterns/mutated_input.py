# A tracked cell that adds a column to the DataFrame it reads.
# %%
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

df = load_diabetes(as_frame=True).frame[["bmi", "bp", "target"]].copy()

# %% track
# expect params: features
# expect metrics: r2
# expect models: reg
# expect inputs: df
# expect input columns df: bmi, bp, target
df["bmi_bp"] = df["bmi"] * df["bp"]
features = ["bmi", "bp", "bmi_bp"]
reg = LinearRegression().fit(df[features], df["target"])
r2 = reg.score(df[features], df["target"])
