// exactkmeans._core: the C++ models over NumPy arrays. The Python layer (_kmeans.py) checks
// parameters and converts arrays; this file only adapts types: row-strided float32/float64
// arrays become Matrix views without a copy, the GIL is released while the C++ code runs, and
// the per-iteration callback takes it back to report progress and to see Ctrl-C.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <kmeans/kmeans.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using kmeans::Matrix;

namespace {

/// A 2-D array of T whose rows are each contiguous, as a view (no copy).
template <class T>
Matrix<const T> view(const py::array& a, const char* name) {
  if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be a 2-D array");
  if (!py::isinstance<py::array_t<T>>(a)) throw py::type_error(std::string(name) + " has the wrong dtype");
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  const py::ssize_t rows = a.shape(0), cols = a.shape(1);
  const py::ssize_t row_step = rows > 1 ? a.strides(0) : cols * item;
  if ((cols > 1 && a.strides(1) != item) || row_step % item != 0 || row_step < cols * item)
    throw py::value_error(std::string(name) +
                          " must have contiguous rows (C order, or rows sliced from such an array)");
  return Matrix<const T>(static_cast<const T*>(a.data()), static_cast<std::size_t>(rows),
                         static_cast<std::size_t>(cols), static_cast<std::size_t>(row_step / item));
}

std::vector<double> weights(const py::object& w) {
  if (w.is_none()) return {};
  const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(w);
  if (!a || a.ndim() != 1) throw py::value_error("sample_weight must be a 1-D array");
  return std::vector<double>(a.data(), a.data() + a.size());
}

/// A vector handed to NumPy without a copy: the array owns it.
template <class U>
py::array_t<U> give(std::vector<U>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<U>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<U>*>(p); });
  return py::array_t<U>(std::move(shape), owned->data(), free_when_done);
}

template <class T>
py::array_t<T> copy_of(Matrix<const T> m) {
  py::array_t<T> out({static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())});
  T* dst = out.mutable_data();
  for (std::size_t i = 0; i < m.rows(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j) dst[i * m.cols() + j] = m(i, j);
  return out;
}

template <class U>
py::array_t<U> copy_of(const std::vector<U>& v) {
  py::array_t<U> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

/// The on_iteration / on_step callback, called on the fitting thread while the GIL is released:
/// takes the GIL, checks for Ctrl-C, calls the Python callback (if any), and stops the fit
/// on either, keeping the Python error for the caller to raise once the fit has returned.
class Progress {
 public:
  explicit Progress(py::object callback) : callback_(std::move(callback)) {}

  template <class... Args>
  bool operator()(Args... args) {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callback_.is_none()) {
        const py::object keep_going = callback_(args...);
        if (!keep_going.is_none() && !keep_going.cast<bool>()) return false;
      }
      return true;
    } catch (...) {
      error_ = std::current_exception();
      return false;
    }
  }

  /// Raises the callback's or Ctrl-C's error, if one stopped the fit. Called with the GIL.
  void raise_if_stopped() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  py::object callback_;
  std::exception_ptr error_;
};

/// fit's and partial_fit's arguments from Python: X, and the weights and initial centroids
/// when given (None: not given).
template <class T>
struct FitInput {
  FitInput(const py::array& X_, const py::object& sample_weight, const py::object& centers_)
      : X(view<T>(X_, "X")), w(weights(sample_weight)), given(!centers_.is_none()) {
    if (given) centers = view<T>(centers_.cast<py::array>(), "init");
  }

  /// f(X[, w][, centers]): the C++ overload for what was given.
  template <class F>
  void pass_to(F&& f) const {
    if (given && !w.empty())
      f(X, w, centers);
    else if (given)
      f(X, centers);
    else if (!w.empty())
      f(X, w);
    else
      f(X);
  }

  Matrix<const T> X;
  std::vector<double> w;
  bool given;
  Matrix<const T> centers;
};

/// Keeps a model of every n_threads value used, so its threads live as long as the process,
/// as an OpenMP runtime's do: a model's threads are otherwise started and joined with each
/// call (about 80 us, a fifth of a small fit). Never destroyed, so never joined at exit.
void keep_threads(std::size_t n_threads) {
  static auto* kept = new std::map<std::size_t, kmeans::KMeans<float>>();  // guarded by the GIL
  if (kept->count(n_threads) != 0) return;
  kmeans::Options o;
  o.n_threads = n_threads;
  kept->emplace(n_threads, kmeans::KMeans<float>(std::move(o)));
}

kmeans::Init init_named(const std::string& name) {
  if (name == "k-means++") return kmeans::Init::kmeans_plus_plus;
  if (name == "random") return kmeans::Init::random;
  if (name == "k-means||") return kmeans::Init::kmeans_parallel;
  throw py::value_error("unknown init: " + name);
}

kmeans::Algorithm algorithm_named(const std::string& name) {
  if (name == "lloyd") return kmeans::Algorithm::lloyd;
  if (name == "elkan") return kmeans::Algorithm::elkan;
  if (name == "hamerly") return kmeans::Algorithm::hamerly;
  if (name == "yinyang") return kmeans::Algorithm::yinyang;
  if (name == "auto") return kmeans::Algorithm::automatic;
  throw py::value_error("unknown algorithm: " + name);
}

const char* name_of(kmeans::Algorithm a) {
  switch (a) {
    case kmeans::Algorithm::lloyd: return "lloyd";
    case kmeans::Algorithm::elkan: return "elkan";
    case kmeans::Algorithm::hamerly: return "hamerly";
    case kmeans::Algorithm::yinyang: return "yinyang";
    case kmeans::Algorithm::automatic: return "auto";
  }
  return "?";
}

kmeans::Metric metric_named(const std::string& name) {
  if (name == "euclidean") return kmeans::Metric::euclidean;
  if (name == "cosine") return kmeans::Metric::cosine;
  throw py::value_error("unknown metric: " + name);
}

struct FitArgs {
  std::size_t n_clusters, max_iter, n_init, n_threads;
  double tol;
  std::string init, algorithm, metric;
  std::uint64_t seed;
};

/// KMeans.fit: returns (cluster_centers, labels, inertia, n_iter, converged, algorithm used).
template <class T>
py::tuple fit(const py::array& X_, const FitArgs& a, const py::object& centers_, const py::object& sample_weight_,
              const py::object& callback) {
  const FitInput<T> in(X_, sample_weight_, centers_);
  Progress progress(callback);
  kmeans::Options o;
  o.n_clusters = a.n_clusters;
  o.max_iter = a.max_iter;
  o.tol = a.tol;
  o.n_init = a.n_init;
  o.init = init_named(a.init);
  o.algorithm = algorithm_named(a.algorithm);
  o.metric = metric_named(a.metric);
  o.seed = a.seed;
  o.n_threads = a.n_threads;
  o.on_iteration = [&progress](const kmeans::Iteration& it) {
    return progress(it.iteration, it.inertia, it.center_shift);
  };
  keep_threads(a.n_threads);
  kmeans::KMeans<T> model(std::move(o));
  double seconds = 0;
  {
    py::gil_scoped_release release;
    const auto start = std::chrono::steady_clock::now();
    in.pass_to([&](const auto&... args) { model.fit(args...); });
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  progress.raise_if_stopped();
  std::vector<unsigned char> used(model.centroids().rows(), 0);  // for the estimator's warning
  for (const std::int32_t label : model.labels()) used[static_cast<std::size_t>(label)] = 1;
  const auto distinct = static_cast<std::size_t>(std::count(used.begin(), used.end(), 1));
  return py::make_tuple(copy_of(model.centroids()), copy_of(model.labels()), model.inertia(), model.n_iter(),
                        model.converged(), name_of(model.algorithm_used()), seconds, distinct);
}

/// A model at the given centroids, for predict, transform and score.
template <class T>
kmeans::KMeans<T> at(const py::array& centers, std::size_t n_threads, const std::string& metric) {
  keep_threads(n_threads);
  kmeans::Options o;
  o.n_threads = n_threads;
  o.metric = metric_named(metric);
  return kmeans::KMeans<T>::from_centroids(view<T>(centers, "cluster_centers_"), std::move(o));
}

template <class T>
py::array_t<std::int32_t> predict(const py::array& centers, const py::array& X_, std::size_t n_threads,
                                  const std::string& metric) {
  const auto model = at<T>(centers, n_threads, metric);
  const Matrix<const T> X = view<T>(X_, "X");
  std::vector<std::int32_t> labels;
  {
    py::gil_scoped_release release;
    labels = model.predict(X);
  }
  return give(std::move(labels), {static_cast<py::ssize_t>(X.rows())});
}

template <class T>
py::array_t<T> transform(const py::array& centers, const py::array& X_, std::size_t n_threads,
                         const std::string& metric) {
  const auto model = at<T>(centers, n_threads, metric);
  const Matrix<const T> X = view<T>(X_, "X");
  std::vector<T> distances;
  {
    py::gil_scoped_release release;
    distances = model.transform(X);
  }
  return give(std::move(distances),
              {static_cast<py::ssize_t>(X.rows()), static_cast<py::ssize_t>(model.centroids().rows())});
}

template <class T>
double score(const py::array& centers, const py::array& X_, const py::object& sample_weight_, std::size_t n_threads,
             const std::string& metric) {
  const auto model = at<T>(centers, n_threads, metric);
  const Matrix<const T> X = view<T>(X_, "X");
  const std::vector<double> w = weights(sample_weight_);
  py::gil_scoped_release release;
  return w.empty() ? model.score(X) : model.score(X, w);
}

struct MiniBatchArgs {
  std::size_t n_clusters, batch_size, max_iter, max_no_improvement, init_size, n_init, n_threads;
  double tol, reassignment_ratio;
  std::string init;
  std::uint64_t seed;

  kmeans::MiniBatchOptions options() const {
    kmeans::MiniBatchOptions o;
    o.n_clusters = n_clusters;
    o.batch_size = batch_size;
    o.max_iter = max_iter;
    o.max_no_improvement = max_no_improvement;
    o.init_size = init_size;
    o.n_init = n_init;
    o.n_threads = n_threads;
    o.tol = tol;
    o.reassignment_ratio = reassignment_ratio;
    o.init = init_named(init);
    o.seed = seed;
    return o;
  }
};

/// A MiniBatchKMeans<T> that the Python estimator keeps between partial_fit calls.
template <class T>
class MiniBatch {
 public:
  explicit MiniBatch(const MiniBatchArgs& a) : model_((keep_threads(a.n_threads), a.options())) {}
  /// Continuing from a pickled estimator's centroids, counts and steps.
  MiniBatch(const MiniBatchArgs& a, const py::array& centers, std::vector<double> counts, std::size_t steps)
      : model_(kmeans::MiniBatchKMeans<T>::from_centroids(view<T>(centers, "cluster_centers_"), a.options(),
                                                          std::move(counts), steps)) {}

  void fit(const py::array& X_, const py::object& sample_weight_, const py::object& centers_,
           const py::object& callback) {
    const FitInput<T> in(X_, sample_weight_, centers_);
    Progress progress(callback);
    kmeans::MiniBatchOptions o = model_.options();
    o.on_step = [&progress](const kmeans::MiniBatchStep& s) {
      return progress(s.step, s.batch_inertia, s.smoothed_inertia);
    };
    kmeans::MiniBatchKMeans<T> fitted(std::move(o));
    {
      py::gil_scoped_release release;
      in.pass_to([&](const auto&... args) { fitted.fit(args...); });
    }
    progress.raise_if_stopped();
    model_ = std::move(fitted);
  }

  void partial_fit(const py::array& X_, const py::object& sample_weight_, const py::object& centers_) {
    const FitInput<T> in(X_, sample_weight_, centers_);
    py::gil_scoped_release release;
    in.pass_to([&](const auto&... args) { model_.partial_fit(args...); });
  }

  py::array_t<T> centers() const { return copy_of(model_.centroids()); }
  py::array_t<std::int32_t> labels() const { return copy_of(model_.labels()); }
  py::array_t<double> counts() const { return copy_of(model_.counts()); }
  double inertia() const { return model_.inertia(); }
  std::size_t n_steps() const { return model_.n_steps(); }
  std::size_t n_iter() const { return model_.n_iter(); }
  bool converged() const { return model_.converged(); }

 private:
  kmeans::MiniBatchKMeans<T> model_;
};

template <class T>
void bind_minibatch(py::module_& m, const char* name) {
  py::class_<MiniBatch<T>>(m, name)
      .def(py::init<const MiniBatchArgs&>())
      .def(py::init<const MiniBatchArgs&, const py::array&, std::vector<double>, std::size_t>())
      .def("fit", &MiniBatch<T>::fit)
      .def("partial_fit", &MiniBatch<T>::partial_fit)
      .def_property_readonly("centers", &MiniBatch<T>::centers)
      .def_property_readonly("labels", &MiniBatch<T>::labels)
      .def_property_readonly("counts", &MiniBatch<T>::counts)
      .def_property_readonly("inertia", &MiniBatch<T>::inertia)
      .def_property_readonly("n_steps", &MiniBatch<T>::n_steps)
      .def_property_readonly("n_iter", &MiniBatch<T>::n_iter)
      .def_property_readonly("converged", &MiniBatch<T>::converged);
}

/// f(T{}) for the T of `a`'s dtype, float or double (the Python layer has made it one of them).
template <class F>
py::object by_dtype(const py::array& a, F&& f) {
  if (py::isinstance<py::array_t<float>>(a)) return f(float{});
  if (py::isinstance<py::array_t<double>>(a)) return f(double{});
  throw py::type_error("expected a float32 or float64 array");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "The C++ kmeans library's models over NumPy arrays (use exactkmeans.KMeans and MiniBatchKMeans).";

  py::class_<FitArgs>(m, "FitArgs")
      .def(py::init<std::size_t, std::size_t, std::size_t, std::size_t, double, std::string, std::string, std::string,
                    std::uint64_t>(),
           py::arg("n_clusters"), py::arg("max_iter"), py::arg("n_init"), py::arg("n_threads"), py::arg("tol"),
           py::arg("init"), py::arg("algorithm"), py::arg("metric"), py::arg("seed"));
  py::class_<MiniBatchArgs>(m, "MiniBatchArgs")
      .def(py::init<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, double,
                    double, std::string, std::uint64_t>(),
           py::arg("n_clusters"), py::arg("batch_size"), py::arg("max_iter"), py::arg("max_no_improvement"),
           py::arg("init_size"), py::arg("n_init"), py::arg("n_threads"), py::arg("tol"), py::arg("reassignment_ratio"),
           py::arg("init"), py::arg("seed"));

  m.def(
      "fit",
      [](const py::array& X, const FitArgs& a, const py::object& centers, const py::object& sample_weight,
         const py::object& callback) {
        return by_dtype(X, [&](auto t) { return fit<decltype(t)>(X, a, centers, sample_weight, callback); });
      },
      py::arg("X"), py::arg("args"), py::arg("centers"), py::arg("sample_weight"), py::arg("callback"),
      "(cluster_centers, labels, inertia, n_iter, converged, algorithm used, seconds in C++'s fit, distinct labels); "
      "callback(iteration, inertia, center_shift) after each iteration, a false return stops the fit");
  m.def("predict", [](const py::array& centers, const py::array& X, std::size_t n_threads, const std::string& metric) {
    return by_dtype(centers, [&](auto t) { return predict<decltype(t)>(centers, X, n_threads, metric); });
  });
  m.def("transform",
        [](const py::array& centers, const py::array& X, std::size_t n_threads, const std::string& metric) {
          return by_dtype(centers, [&](auto t) { return transform<decltype(t)>(centers, X, n_threads, metric); });
        });
  m.def("score", [](const py::array& centers, const py::array& X, const py::object& sample_weight,
                    std::size_t n_threads, const std::string& metric) {
    return by_dtype(
        centers, [&](auto t) { return py::float_(score<decltype(t)>(centers, X, sample_weight, n_threads, metric)); });
  });
  bind_minibatch<float>(m, "MiniBatch32");
  bind_minibatch<double>(m, "MiniBatch64");
}
