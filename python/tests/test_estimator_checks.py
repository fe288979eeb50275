"""scikit-learn's own estimator checks, run on both estimators.

The one check scikit-learn marks as an expected failure for its own KMeans
(check_sample_weights_invariance with zero weights: a zero weight is not the same as a removed
row, since k-means++ draws from a different number of rows) is marked the same way here, by
the estimators' _xfail_checks tag, and shows in pytest's report as xfail with that reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from exactkmeans import KMeans, MiniBatchKMeans


@parametrize_with_checks([KMeans(), MiniBatchKMeans()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
