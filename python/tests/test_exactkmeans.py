"""What the package promises beyond scikit-learn's tests: exact results against a NumPy
reference, bit-identical algorithms, arrays used in place, errors for bad input, Ctrl-C,
verbose output, pickling and partial_fit continuation."""

import _thread
import io
import pickle
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs
from sklearn.utils._testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import check_sample_weights_invariance

from exactkmeans import KMeans, MiniBatchKMeans
from exactkmeans._kmeans import _rows_contiguous

ALGORITHMS = ["lloyd", "elkan", "hamerly", "yinyang", "auto"]


def _lloyd_reference(X, centers, max_iter):
    """Plain Lloyd in NumPy, in float64: labels for the final centres, as the estimators'."""
    X = X.astype(np.float64)
    c = centers.astype(np.float64)
    for _ in range(max_iter):
        d = ((X[:, None, :] - c[None]) ** 2).sum(-1)
        labels = d.argmin(axis=1)
        new = np.array([X[labels == j].mean(0) if (labels == j).any() else c[j] for j in range(len(c))])
        if np.array_equal(new, c):
            break
        c = new
    d = ((X[:, None, :] - c[None]) ** 2).sum(-1)
    return d.argmin(axis=1), c, d.min(axis=1).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_fit_matches_numpy_lloyd(dtype, algorithm):
    X, _ = make_blobs(600, n_features=7, centers=6, cluster_std=3.0, random_state=3)
    X = X.astype(dtype)
    init = X[[0, 100, 200, 300, 400, 500]]
    km = KMeans(6, init=init, n_init=1, tol=0, max_iter=50, algorithm=algorithm).fit(X)
    labels, centers, inertia = _lloyd_reference(X, init, 50)
    assert_array_equal(km.labels_, labels)
    assert_allclose(km.cluster_centers_, centers, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert_allclose(km.inertia_, inertia, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert km.cluster_centers_.dtype == dtype


def test_same_answer_as_scikit_learn_from_the_same_centres():
    X, _ = make_blobs(3000, n_features=20, centers=8, random_state=0)
    init = X[:8]
    ours = KMeans(8, init=init, n_init=1).fit(X)
    theirs = SkKMeans(8, init=init, n_init=1).fit(X)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10)
    assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-10)


@pytest.mark.parametrize("algorithm", ALGORITHMS[1:])
def test_every_algorithm_gives_lloyds_bits(algorithm):
    X, _ = make_blobs(5000, n_features=12, centers=30, cluster_std=4.0, random_state=1)
    lloyd = KMeans(30, random_state=5, algorithm="lloyd").fit(X)
    other = KMeans(30, random_state=5, algorithm=algorithm).fit(X)
    assert_array_equal(other.labels_, lloyd.labels_)
    assert_array_equal(other.cluster_centers_, lloyd.cluster_centers_)
    assert other.inertia_ == lloyd.inertia_ and other.n_iter_ == lloyd.n_iter_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arrays_are_used_in_place(dtype):
    X = np.random.RandomState(0).rand(300, 10).astype(dtype)
    assert _rows_contiguous(X) is X
    view = X[::2, 2:7]  # rows 40 or 80 bytes apart, each contiguous
    assert _rows_contiguous(view) is view
    km = KMeans(3, n_init=1, random_state=0)
    assert km._check_X(view, reset=True) is view
    # and the strided view gives what its contiguous copy gives
    a = KMeans(3, random_state=0).fit(view)
    b = KMeans(3, random_state=0).fit(np.ascontiguousarray(view))
    assert_array_equal(a.labels_, b.labels_)
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert_array_equal(a.transform(view), b.transform(view))
    # a column-strided view is copied (C++ reads rows)
    columns = X[:, ::2]
    assert _rows_contiguous(columns) is not columns
    assert_array_equal(KMeans(3, random_state=0).fit(columns).labels_,
                       KMeans(3, random_state=0).fit(np.ascontiguousarray(columns)).labels_)


@pytest.mark.parametrize("Estimator", [KMeans, MiniBatchKMeans])
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros(10), "Expected 2D array"),
        (np.zeros((4, 3, 2)), "Found array with dim 3"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((5, 0)), "0 feature"),
        (np.where(np.eye(10) > 0, np.nan, 1.0), "X has a NaN at row 0, column 0"),
        (np.where(np.eye(10) > 0, -np.inf, 1.0), r"X has an infinity \(inf\) at row 0, column 0"),
        (np.ones((3, 2)), r"n_samples=3 should be >= n_clusters=4"),
    ],
)
def test_bad_input_is_a_value_error(Estimator, bad, match):
    with pytest.raises(ValueError, match=match):
        Estimator(4).fit(bad)


@pytest.mark.parametrize("Estimator", [KMeans, MiniBatchKMeans])
def test_bad_input_after_fit(Estimator):
    X = np.random.RandomState(0).rand(100, 4)
    km = Estimator(3, random_state=0).fit(X)
    for method in (km.predict, km.transform, km.score):
        with pytest.raises(ValueError, match="X has 3 features, but"):
            method(X[:, :3])
        with pytest.raises(ValueError, match="X has a NaN at row 1, column 2"):
            bad = X.copy()
            bad[1, 2] = np.nan
            method(bad)
    with pytest.raises(ValueError, match=r"sample_weight\[5\] is -1"):
        w = np.ones(100)
        w[5] = -1
        Estimator(3).fit(X, sample_weight=w)
    with pytest.raises(ValueError, match="all zeros"):
        Estimator(3).fit(X, sample_weight=np.zeros(100))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(99,\), expected \(100,\)"):
        Estimator(3).fit(X, sample_weight=np.ones(99))
    with pytest.raises(ValueError, match="n_clusters"):
        Estimator(0).fit(X)
    with pytest.raises(ValueError, match="algorithm" if Estimator is KMeans else "batch_size"):
        if Estimator is KMeans:
            Estimator(3, algorithm="fastest").fit(X)
        else:
            Estimator(3, batch_size=0).fit(X)


@pytest.mark.parametrize("Estimator", [KMeans, MiniBatchKMeans])
def test_sample_weights_ones_are_no_weights(Estimator):
    # scikit-learn's own check, kind="ones", asserted to pass (the tag that marks the
    # kind="zeros" check as expected to fail covers both kinds in check_estimator).
    check_sample_weights_invariance(Estimator.__name__, Estimator(random_state=0), kind="ones")


class _InterruptingStdout(io.StringIO):
    """Ctrl-C, as the terminal would send it, when verbose output first arrives."""

    def write(self, s):
        _thread.interrupt_main()
        return super().write(s)


@pytest.mark.parametrize("Estimator", [KMeans, MiniBatchKMeans])
def test_ctrl_c_stops_a_verbose_fit(Estimator, monkeypatch):
    X, _ = make_blobs(20000, n_features=10, centers=50, cluster_std=5.0, random_state=0)
    km = Estimator(50, tol=0, max_iter=300, random_state=0, verbose=1)
    out = _InterruptingStdout()
    monkeypatch.setattr(sys, "stdout", out)
    with pytest.raises(KeyboardInterrupt):
        km.fit(X)
    assert len(out.getvalue().splitlines()) <= 2  # stopped at the first iteration's report
    assert not hasattr(km, "cluster_centers_")


def test_ctrl_c_stops_a_quiet_fit():
    # No Python code runs during this fit: the C++ side must look for the signal itself,
    # after each iteration. Whether it did shows in the time the fit took before raising
    # (a fit that ran to the end would raise too, once back in Python): far less than the
    # whole fit's, a ratio of about 30 where it works, 1 where it does not.
    X, _ = make_blobs(100000, n_features=10, centers=100, cluster_std=8.0, random_state=0)
    km = KMeans(100, tol=0, max_iter=100, random_state=0)
    start = time.perf_counter()
    km.fit(X)
    whole = time.perf_counter() - start
    assert km.n_iter_ > 30

    km = clone(km)
    timer = threading.Timer(whole / 20, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            km.fit(X)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < whole / 3
    assert not hasattr(km, "cluster_centers_")


def test_verbose_prints_one_line_per_iteration(capsys):
    X, _ = make_blobs(2000, n_features=5, centers=4, random_state=2)
    km = KMeans(4, n_init=1, random_state=0, tol=0, verbose=1).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Initialization complete"
    assert sum(line.startswith("Iteration ") for line in out) == km.n_iter_
    assert out[-1].startswith(f"Converged at iteration {km.n_iter_ - 1}")


@pytest.mark.parametrize("Estimator", [KMeans, MiniBatchKMeans])
def test_pickle_round_trip(Estimator):
    X, _ = make_blobs(1000, n_features=6, centers=5, random_state=4)
    km = Estimator(5, random_state=0).fit(X)
    back = pickle.loads(pickle.dumps(km))
    assert_array_equal(back.predict(X), km.predict(X))
    assert_array_equal(back.transform(X), km.transform(X))
    assert back.get_params() == km.get_params()


def test_pickled_minibatch_continues_partial_fit():
    X, _ = make_blobs(3000, n_features=6, centers=5, random_state=4)
    km = MiniBatchKMeans(5, random_state=0, reassignment_ratio=0)
    for batch in np.array_split(X, 6)[:3]:
        km.partial_fit(batch)
    back = pickle.loads(pickle.dumps(km))
    for batch in np.array_split(X, 6)[3:]:
        km.partial_fit(batch)
        back.partial_fit(batch)
        assert_array_equal(back.cluster_centers_, km.cluster_centers_)
        assert_array_equal(back.labels_, km.labels_)
    assert back.n_steps_ == km.n_steps_ == 6


def test_float32_is_computed_in_float32():
    X, _ = make_blobs(2000, n_features=8, centers=5, random_state=6)
    km = KMeans(5, random_state=0).fit(X.astype(np.float32))
    assert km.cluster_centers_.dtype == np.float32
    assert km.transform(X.astype(np.float32)).dtype == np.float32
    # float64 rows against float32 centres: computed in float64, against the centres widened
    assert km.transform(X).dtype == np.float64
    assert_array_equal(km.predict(X), km.predict(X.astype(np.float32)))


def test_n_threads_does_not_change_the_answer():
    X, _ = make_blobs(30000, n_features=10, centers=20, cluster_std=3.0, random_state=7)
    fits = [KMeans(20, random_state=1, n_threads=t).fit(X) for t in (1, 2, 5)]
    for f in fits[1:]:
        assert_array_equal(f.labels_, fits[0].labels_)
        assert_array_equal(f.cluster_centers_, fits[0].cluster_centers_)
        assert f.inertia_ == fits[0].inertia_


def test_minibatch_batch_larger_than_x_is_capped():
    # The C++ parity defect: a batch is at most all the rows, so max_iter bounds the passes.
    X, _ = make_blobs(100, n_features=4, centers=3, random_state=8)
    one = MiniBatchKMeans(3, batch_size=1024, max_iter=1, random_state=0, max_no_improvement=None).fit(X)
    ten = MiniBatchKMeans(3, batch_size=1024, max_iter=10, random_state=0, max_no_improvement=None).fit(X)
    assert one.n_iter_ == one.n_steps_ == 1
    assert ten.n_iter_ == ten.n_steps_ == 10
    assert not np.array_equal(one.cluster_centers_, ten.cluster_centers_)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_cosine_metric_is_spherical_lloyd(algorithm):
    # NumPy's spherical Lloyd from the same centres: unit rows, the largest cosine, means
    # scaled back to unit length; every algorithm gives its answer.
    X, _ = make_blobs(800, n_features=5, centers=4, random_state=9)
    X *= 1 + np.arange(800)[:, None] % 5  # lengths 1 to 5: only directions should matter
    init = X[[0, 1, 2, 3]]
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = init / np.linalg.norm(init, axis=1, keepdims=True)
    for _ in range(3):
        labels = (U @ C.T).argmax(axis=1)
        C = np.array([U[labels == j].sum(0) for j in range(4)])
        C /= np.linalg.norm(C, axis=1, keepdims=True)
    km = KMeans(4, init=init, max_iter=3, tol=0, algorithm=algorithm, metric="cosine").fit(X)
    assert_allclose(km.cluster_centers_, C, rtol=1e-12, atol=1e-12)
    assert_array_equal(km.labels_, (U @ C.T).argmax(axis=1))
    assert_array_equal(km.predict(X * 3.0), km.labels_)
    assert_allclose(km.transform(X[:5]), np.sqrt(np.maximum(2 - 2 * U[:5] @ C.T, 0)), atol=1e-7)
    assert pickle.loads(pickle.dumps(km)).predict(X).tolist() == km.labels_.tolist()
    with pytest.raises(ValueError, match="X row 2 is all zeros"):
        km.predict(np.vstack([X[:2], np.zeros((1, 5))]))
    with pytest.raises(ValueError, match="metric"):
        KMeans(4, metric="manhattan").fit(X)
