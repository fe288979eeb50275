#pragma once
// Checks shared by the model tests: a fitted model against the brute-force reference, and
// a fit that watches its own iterations.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <kmeans/kmeans_model.hpp>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "reference.hpp"

/// What f threw (its what()), or "no exception".
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The bits of a double, for tests of bit-identical results.
inline std::uint64_t bits(double x) {
  std::uint64_t b = 0;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

/// A fit's every iteration (inertia and centre shift, as bits), distance evaluations, and end.
struct Trace {
  std::vector<std::uint64_t> inertia, shift;  // bits, per iteration
  std::vector<std::size_t> evaluations;
  std::vector<std::int32_t> labels;
  std::vector<std::uint64_t> centroids;  // bits
  std::uint64_t final_inertia = 0;
  std::size_t n_iter = 0;
  kmeans::Algorithm used = kmeans::Algorithm::lloyd;
};

/// The fit by `o` from C, or without C from o's own initialisation, traced.
template <class T>
Trace trace_fit(kmeans::Options o, kmeans::Matrix<const T> X, const kmeans::Matrix<const T>* C) {
  Trace t;
  o.on_iteration = [&t](const kmeans::Iteration& it) {
    t.inertia.push_back(bits(it.inertia));
    t.shift.push_back(bits(it.center_shift));
    t.evaluations.push_back(it.distance_evaluations);
    return true;
  };
  kmeans::KMeans<T> km(o);
  if (C)
    km.fit(X, *C);
  else
    km.fit(X);
  t.labels = km.labels();
  const auto c = km.centroids();
  for (std::size_t i = 0; i < c.rows(); ++i)
    for (std::size_t j = 0; j < c.cols(); ++j) t.centroids.push_back(bits(static_cast<double>(c(i, j))));
  t.final_inertia = bits(km.inertia());
  t.n_iter = km.n_iter();
  t.used = km.algorithm_used();
  return t;
}

/// The same iterations, labels, centroids and inertia, to the bit.
inline void require_same_trace(const Trace& a, const Trace& b) {
  REQUIRE(a.n_iter == b.n_iter);
  CHECK(a.inertia == b.inertia);
  CHECK(a.shift == b.shift);
  CHECK(a.labels == b.labels);
  CHECK(a.centroids == b.centroids);
  CHECK(a.final_inertia == b.final_inertia);
}

template <class T>
constexpr double rel_tol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

template <class T>
ref::Dense centroids_of(const kmeans::KMeans<T>& km) {
  return ref::to_dense(km.centroids());
}

/// The model's labels are the reference argmin for its final centroids (near-ties: the
/// chosen centroid is as near as the best), and its inertia is the reference inertia.
template <class T>
void check_labels_and_inertia(const kmeans::KMeans<T>& km, kmeans::Matrix<const T> X) {
  const ref::Dense Xd = ref::to_dense(X);
  const ref::Dense C = centroids_of(km);
  const ref::Assignment a = ref::assign(Xd, C);
  const auto& labels = km.labels();
  REQUIRE(labels.size() == X.rows());
  for (std::size_t i = 0; i < X.rows(); ++i) {
    REQUIRE(labels[i] >= 0);
    REQUIRE(static_cast<std::size_t>(labels[i]) < C.rows);
    if (a.near_tie(i, 1e-9)) {
      CHECK(ref::sqdist(Xd.row(i), C.row(static_cast<std::size_t>(labels[i])), Xd.cols) <= a.best[i] * (1 + 1e-9));
    } else {
      CHECK(labels[i] == a.labels[i]);
    }
  }
  CHECK(ref::rel_diff(km.inertia(), ref::inertia(Xd, C, labels)) <= 1e-12);
}

/// Fits with `options` while recording every iteration's inertia, then checks what must
/// hold on any data: finite centroids, the reference labels and inertia, and an inertia
/// that never rises from one iteration to the next (nor after the last).
template <class T>
kmeans::KMeans<T> fit_watched(kmeans::Options options, kmeans::Matrix<const T> X) {
  // Shared, not captured by reference: the returned model keeps the callback.
  const auto seen = std::make_shared<std::vector<double>>();
  options.on_iteration = [seen](const kmeans::Iteration& it) {
    if (it.iteration == 1) seen->clear();  // a new restart
    seen->push_back(it.inertia);
    return true;
  };
  kmeans::KMeans<T> km(options);
  km.fit(X);
  const auto C = km.centroids();
  for (std::size_t c = 0; c < C.rows(); ++c)
    for (std::size_t j = 0; j < C.cols(); ++j) REQUIRE(std::isfinite(C(c, j)));
  check_labels_and_inertia(km, X);
  REQUIRE(km.inertia() >= 0.0);
  const std::vector<double>& inertia = *seen;
  for (std::size_t i = 1; i < inertia.size(); ++i) CHECK(inertia[i] <= inertia[i - 1] * (1 + 1e-12));
  if (options.n_init == 1 && !inertia.empty()) CHECK(km.inertia() <= inertia.back() * (1 + 1e-12));
  return km;
}
