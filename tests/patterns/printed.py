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

# %% track
# expect metrics: fraction_correct_accuracy, test_set_score, accuracy
# expect models: knn
# results printed under a label on the line before, in a str.format field, and as a
# computation beside a label that names a result; a count beside a plain label is not one
import numpy as np
from sklearn.neighbors import KNeighborsClassifier

knn = KNeighborsClassifier().fit(X_train, y_train)
pred_y = knn.predict(X_test)
print("Fraction Correct [Accuracy]:")
print(np.sum(pred_y == y_test) / float(len(y_test)))
print("Test set score: {:.2f}".format(knn.score(X_test, y_test)))
print("Accuracy:", np.mean(pred_y == y_test))
print("Number of test points:", len(y_test))
