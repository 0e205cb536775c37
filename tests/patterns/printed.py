# Results a cell prints: a classification report and a formatted accuracy.
# %%
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, shuffle=False)

# %% track
# expect params: gamma
# expect metrics: acc, classification_report.accuracy
# expect metrics: classification_report.macro_avg.precision, classification_report.macro_avg.recall
# expect metrics: classification_report.macro_avg.f1_score
# expect metrics: classification_report.weighted_avg.precision
# expect metrics: classification_report.weighted_avg.recall
# expect metrics: classification_report.weighted_avg.f1_score
# expect models: clf
# expect output: macro avg
# expect output: accuracy: 0.
gamma = 0.001
clf = SVC(gamma=gamma)
clf.fit(X_train, y_train)
predicted = clf.predict(X_test)
acc = accuracy_score(y_test, predicted)
print(f"Classification report for classifier {clf}:\n"
      f"{classification_report(y_test, predicted)}")
print(f"accuracy: {acc:.3f}")
cm = confusion_matrix(y_test, predicted)

# %% track
# expect histories: training_accuracy
# expect metrics: score_on_the_test_set
# expect models: clf
# expect output: Training accuracy:
from sklearn.linear_model import LogisticRegression

for c in [10, 1, 0.001]:
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(X_train, y_train)
    print("C:", c)
    print("Training accuracy:", clf.score(X_train, y_train))
print("Score on the test set: %.4f" % clf.score(X_test, y_test))

# %% track
# expect metrics: clf.score
clf.score(X_test, y_test)
