"""KMeans and MiniBatchKMeans as scikit-learn estimators over the C++ library (_core).

This layer does what scikit-learn's estimators do before their compiled code runs: parameter
validation, array conversion (check_array's rules), random_state to seed, init arrays and
callables, verbose output. Arrays reach C++ without a copy when they are float32 or float64
with contiguous rows; the C++ code checks them for NaN and infinity in its first pass over
the data (so this layer does not make a pass of its own) and raises ValueError naming the row.
"""

import numbers
import sys
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _core

__all__ = ["KMeans", "MiniBatchKMeans"]

_FLOATS = (np.float64, np.float32)


def _rows_contiguous(X):
    """X itself when C++ can view it (each row contiguous, rows any whole number of items
    apart, aligned), else a C-ordered copy."""
    item = X.itemsize
    rows, cols = X.shape
    row_step = X.strides[0] if rows > 1 else cols * item
    if (
        X.flags.aligned
        and (cols <= 1 or X.strides[1] == item)
        and row_step % item == 0
        and row_step >= cols * item
    ):
        return X
    return np.ascontiguousarray(X)


def _seed(random_state):
    """The C++ fit's seed from anything check_random_state takes: an int is its own seed (no
    RandomState to build), None draws from NumPy's global one, an instance is advanced."""
    if _is_int(random_state, 0) and random_state < 2**32:
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _is_int(value, low):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def _n_threads(n_threads):
    return 0 if n_threads is None else int(n_threads)


class _BaseKMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """What KMeans and MiniBatchKMeans share: checks, predict, transform and score."""

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random", "k-means||"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    _inits = ("k-means++", "random", "k-means||")

    def _check_params(self):
        """scikit-learn's parameter validation, run only when a quick look at the plain
        values finds something it might reject (the full one costs about 70 us a call)."""
        p = self.__dict__
        plain = (
            _is_int(p["n_clusters"], 1)
            and _is_int(p["max_iter"], 1)
            and (p["n_init"] == "auto" if isinstance(p["n_init"], str) else _is_int(p["n_init"], 1))
            and isinstance(p["tol"], numbers.Real) and not isinstance(p["tol"], bool) and p["tol"] >= 0
            and (p["n_threads"] is None or _is_int(p["n_threads"], 1))
            and isinstance(p["verbose"], (bool, numbers.Integral))
            and (p["random_state"] is None or _is_int(p["random_state"], 0))
            and isinstance(p["init"], str) and p["init"] in self._inits
            and self._plain_params(p)
        )
        if not plain:
            self._validate_params()

    # n_init="auto": one k-means++ (or k-means||) run or an array; this many otherwise.
    _default_n_init = 10

    def _check_X(self, X, reset):
        if type(X) is np.ndarray and X.ndim == 2 and X.size and X.dtype.type in _FLOATS:
            # What _validate_data would do to such an array, without its conversions (a few us
            # of a small fit): the feature count and names.
            self._check_n_features(X, reset=reset)
            self._check_feature_names(X, reset=reset)
            return _rows_contiguous(X)
        X = self._validate_data(
            X,
            reset=reset,
            dtype=list(_FLOATS),
            force_all_finite=False,  # C++ checks, in a pass it makes anyway
            accept_sparse=False,
            copy=False,
        )
        return _rows_contiguous(X)

    def _check_params_vs_input(self, X):
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}."
            )
        n_init = self.n_init
        if n_init == "auto":
            plus_plus = isinstance(self.init, str) and self.init != "random"
            array = not isinstance(self.init, str) and not callable(self.init)
            n_init = 1 if plus_plus or array else self._default_n_init
        if not isinstance(self.init, str) and not callable(self.init) and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only"
                f" one init in {self.__class__.__name__} instead of "
                f"n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return n_init

    def _seeded(self):
        """The C++ fit's seed, and the RandomState a callable init draws from (else None)."""
        if callable(self.init):
            rng = check_random_state(self.random_state)
            return _seed(rng), rng
        return _seed(self.random_state), None

    def _centers_from_init(self, X, rng):
        """An array init's centres, a callable's (one call), or None for a named init."""
        if callable(self.init):
            return self._checked_centers(self.init(X, self.n_clusters, random_state=rng), X)
        if not isinstance(self.init, str):
            return self._checked_centers(self.init, X)
        return None

    def _checked_centers(self, centers, X):
        """An init array (or a callable's result) as the C++ fit takes it."""
        centers = np.asarray(centers)
        if centers.ndim != 2 or centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of features of the data {X.shape[1]}."
            )
        return np.ascontiguousarray(centers, dtype=X.dtype)

    def _weights(self, sample_weight, X):
        if sample_weight is None:
            return None  # the C++ fit's unweighted path (unit weights give the same result)
        return _check_sample_weight(sample_weight, X, dtype=np.float64, copy=False)

    def _check_test_data(self, X):
        X = self._check_X(X, reset=False)
        return X, self._centers_for(X)

    def _centers_for(self, X):
        centers = self.cluster_centers_
        if centers.dtype != X.dtype:
            centers = centers.astype(X.dtype)
        return np.ascontiguousarray(centers)

    def predict(self, X):
        """The index of the nearest cluster centre of each row (lowest index on ties)."""
        check_is_fitted(self)
        X, centers = self._check_test_data(X)
        return _core.predict(centers, X, _n_threads(self.n_threads), self._metric())

    def transform(self, X):
        """The distance of every row to every cluster centre, (n_samples, n_clusters)."""
        check_is_fitted(self)
        X, centers = self._check_test_data(X)
        return _core.transform(centers, X, _n_threads(self.n_threads), self._metric())

    def fit_predict(self, X, y=None, sample_weight=None):
        """fit(X), then labels_."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """fit(X), then transform(X), without checking X twice."""
        self.fit(X, sample_weight=sample_weight)
        X = self._check_X(X, reset=False)
        return _core.transform(self._centers_for(X), X, _n_threads(self.n_threads), self._metric())

    def score(self, X, y=None, sample_weight=None):
        """Minus the (weighted) sum of squared distances of X to the nearest centres."""
        check_is_fitted(self)
        X, centers = self._check_test_data(X)
        weights = self._weights(sample_weight, X)
        return _core.score(centers, X, weights, _n_threads(self.n_threads), self._metric())

    def _metric(self):
        return getattr(self, "metric", "euclidean")  # MiniBatchKMeans: Euclidean only

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[0]

    def _more_tags(self):
        return {
            "preserves_dtype": [np.float64, np.float32],
            "_xfail_checks": {
                "check_sample_weights_invariance": (
                    "zero sample_weight is not equivalent to removing samples "
                    "(k-means++ draws from a different number of rows, as in "
                    "scikit-learn's KMeans, which skips this check for the same reason)"
                ),
            },
        }


class KMeans(_BaseKMeans):
    """Exact k-means clustering, scikit-learn's ``KMeans`` on the kmeans C++ library.

    Parameters are scikit-learn's, with these differences:

    - ``init`` also takes ``"k-means||"`` (Bahmani et al.'s scalable k-means++).
    - ``algorithm``: ``"auto"`` (default: the library's choice, the fastest it knows for the
      shape of X), ``"lloyd"``, ``"elkan"``, ``"hamerly"`` or ``"yinyang"``. All give the same
      labels and centres, iteration by iteration; they differ only in speed.
    - ``n_init="auto"`` (default): 1 run for k-means++, k-means|| or an array, 10 for
      "random" or a callable (scikit-learn's rule from version 1.4).
    - ``n_threads``: threads to use (None: all cores). The result does not depend on it.
    - ``metric``: ``"euclidean"`` (default) or ``"cosine"`` (spherical k-means: rows and
      centres scaled to unit length, the nearest centre the one of largest cosine similarity;
      a row of zeros is a ValueError).
    - ``copy_x`` is accepted for compatibility: X is never modified, so never copied for it.

    Fitted attributes: ``cluster_centers_, labels_, inertia_, n_iter_, n_features_in_,
    feature_names_in_`` (when X has string column names), and ``algorithm_used_`` (what
    ``"auto"`` chose).
    """

    _parameter_constraints = {
        **_BaseKMeans._parameter_constraints,
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan", "hamerly", "yinyang", "auto"})],
        "metric": [StrOptions({"euclidean", "cosine"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="auto",
        n_threads=None,
        metric="euclidean",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads
        self.metric = metric

    def _plain_params(self, p):
        return (
            isinstance(p["copy_x"], bool)
            and p["algorithm"] in ("lloyd", "elkan", "hamerly", "yinyang", "auto")
            and p["metric"] in ("euclidean", "cosine")
        )

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering of the rows of X (weighted by sample_weight)."""
        self._check_params()
        X = self._check_X(X, reset=True)
        weights = self._weights(sample_weight, X)
        n_init = self._check_params_vs_input(X)
        seed, rng = self._seeded()
        if isinstance(self.init, str):
            runs = [(self.init, None)]
            n_cpp_init = n_init  # C++ runs the restarts
        else:  # an array (n_init is 1) or a callable, called once per run
            runs = [("k-means++", self._centers_from_init(X, rng)) for _ in range(n_init)]
            n_cpp_init = 1

        best = None
        self._cpp_seconds = 0.0  # the C++ fits' own time, for bench/compare_python.py
        for init, centers in runs:
            args = _core.FitArgs(
                n_clusters=self.n_clusters,
                max_iter=self.max_iter,
                n_init=n_cpp_init,
                n_threads=_n_threads(self.n_threads),
                tol=self.tol,
                init=init,
                algorithm=self.algorithm,
                metric=self.metric,
                seed=seed,
            )
            callback = _Verbose(X, self.tol) if self.verbose else None
            result = _core.fit(X, args, centers, weights, callback)
            self._cpp_seconds += result[6]
            if callback:
                callback.done(result[3], result[4])
            if best is None or result[2] < best[2]:
                best = result

        centers, labels, inertia, n_iter, _converged, algorithm_used, _, distinct = best
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.algorithm_used_ = algorithm_used
        return self


class _Verbose:
    """verbose=1: scikit-learn's lines, one per iteration, from the C++ fit's callback."""

    def __init__(self, X, tol):
        self.tol = tol
        self.X = X
        self.shift = None

    def __call__(self, iteration, inertia, shift):
        if iteration == 1:
            print("Initialization complete")
        print(f"Iteration {iteration - 1}, inertia {inertia}.")
        self.shift = shift
        sys.stdout.flush()
        return True

    def done(self, n_iter, converged):
        if not converged:
            return
        if self.shift == 0:
            print(f"Converged at iteration {n_iter - 1}: strict convergence.")
        else:
            tol = self.tol * float(np.mean(np.var(self.X, axis=0)))
            print(
                f"Converged at iteration {n_iter - 1}: center shift "
                f"{self.shift} within tolerance {tol}."
            )


class MiniBatchKMeans(_BaseKMeans):
    """Mini-batch k-means, scikit-learn's ``MiniBatchKMeans`` on the kmeans C++ library.

    Parameters are scikit-learn's, plus ``init="k-means||"`` and ``n_threads`` as in
    :class:`KMeans`; ``n_init="auto"`` (default) is 1 for k-means++ and an array, 3 otherwise.
    A batch is at most the whole of X, so ``max_iter`` bounds the passes over the data.

    Fitted attributes: ``cluster_centers_, labels_, inertia_`` (unless ``compute_labels`` is
    False), ``n_iter_, n_steps_, n_features_in_, feature_names_in_``.
    A pickled model continues ``partial_fit`` from its centres and learning rates.
    """

    _parameter_constraints = {
        **_BaseKMeans._parameter_constraints,
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "init_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(numbers.Real, 0, None, closed="left")],
    }

    _default_n_init = 3

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads

    def _plain_params(self, p):
        return (
            _is_int(p["batch_size"], 1)
            and isinstance(p["compute_labels"], bool)
            and (p["max_no_improvement"] is None or _is_int(p["max_no_improvement"], 0))
            and (p["init_size"] is None or _is_int(p["init_size"], 1))
            and isinstance(p["reassignment_ratio"], numbers.Real)
            and not isinstance(p["reassignment_ratio"], bool)
            and p["reassignment_ratio"] >= 0
        )

    def _args(self, X, n_init, seed):
        init_size = self.init_size
        if init_size is not None and init_size < self.n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than "
                f"n_clusters={self.n_clusters}. Setting it to "
                "min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = min(3 * self.n_clusters, X.shape[0])
        return _core.MiniBatchArgs(
            n_clusters=self.n_clusters,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            max_no_improvement=self.max_no_improvement or 0,
            init_size=init_size or 0,
            n_init=n_init,
            n_threads=_n_threads(self.n_threads),
            tol=self.tol,
            reassignment_ratio=self.reassignment_ratio,
            init=self.init if isinstance(self.init, str) else "k-means++",
            seed=seed,
        )

    @staticmethod
    def _engine_for(X):
        return _core.MiniBatch32 if X.dtype == np.float32 else _core.MiniBatch64

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centres by mini-batch steps over X (weighted by sample_weight)."""
        self._check_params()
        X = self._check_X(X, reset=True)
        weights = self._weights(sample_weight, X)
        n_init = self._check_params_vs_input(X)
        seed, rng = self._seeded()
        centers = self._centers_from_init(X, rng)
        args = self._args(X, n_init, seed)
        engine = self._engine_for(X)(args)
        callback = _MiniBatchVerbose(self, X) if self.verbose else None
        engine.fit(X, weights, centers, callback)
        if callback:
            callback.done(engine.converged)
        self._keep(engine, labels=self.compute_labels)
        self.n_iter_ = int(engine.n_iter)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """One mini-batch step on the whole of X (the first call initialises the centres)."""
        first = not hasattr(self, "cluster_centers_")
        if first:
            self._check_params()
        X = self._check_X(X, reset=first)
        weights = self._weights(sample_weight, X)
        engine = getattr(self, "_engine", None)
        if first:
            n_init = self._check_params_vs_input(X)
            seed, rng = self._seeded()
            self._random_seed = seed
            centers = self._centers_from_init(X, rng)
            engine = self._engine_for(X)(self._args(X, n_init, seed))
            engine.partial_fit(X, weights, centers)
        else:
            if engine is None or engine.centers.dtype != X.dtype:
                # After unpickling, or for data of the other dtype: continue from the centres
                # and learning rates kept in the estimator.
                seed = getattr(self, "_random_seed", 0)
                engine = self._engine_for(X)(
                    self._args(X, 1, seed),
                    self.cluster_centers_.astype(X.dtype),
                    list(self._counts),
                    int(self.n_steps_),
                )
            engine.partial_fit(X, weights, None)
        self._keep(engine, labels=self.compute_labels)
        return self

    def _keep(self, engine, labels):
        self._engine = engine
        self.cluster_centers_ = engine.centers
        self._counts = engine.counts
        self.n_steps_ = int(engine.n_steps)
        if labels:
            self.labels_ = engine.labels
            self.inertia_ = float(engine.inertia)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_engine", None)  # rebuilt from cluster_centers_, _counts and n_steps_
        return state


class _MiniBatchVerbose:
    """verbose=1: scikit-learn's lines, one per step, from the C++ fit's callback."""

    def __init__(self, estimator, X):
        n = X.shape[0]
        self.n_steps = estimator.max_iter * n // min(estimator.batch_size, n)
        self.max_no_improvement = estimator.max_no_improvement
        self.best = None
        self.no_improvement = 0
        self.step = 0

    def __call__(self, step, batch_inertia, smoothed):
        self.step = step
        print(f"Minibatch step {step}/{self.n_steps}: mean batch inertia: {batch_inertia}")
        if self.best is None or smoothed < self.best:
            self.best, self.no_improvement = smoothed, 0
        else:
            self.no_improvement += 1
        sys.stdout.flush()
        return True

    def done(self, converged):
        if not converged:
            return
        if self.max_no_improvement and self.no_improvement >= self.max_no_improvement:
            print(
                "Converged (lack of improvement in inertia) at step "
                f"{self.step}/{self.n_steps}"
            )
        else:
            print(f"Converged (small centers change) at step {self.step}/{self.n_steps}")
