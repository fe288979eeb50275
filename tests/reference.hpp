#pragma once
// A brute-force k-means reference, written plainly in double and independently of the
// library: sequential sums, no SIMD, no expanded form, no threads.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <kmeans/matrix.hpp>
#include <limits>
#include <map>
#include <utility>
#include <vector>

namespace ref {

/// Row-major doubles: what every reference function works on.
struct Dense {
  std::vector<double> v;
  std::size_t rows = 0, cols = 0;
  const double* row(std::size_t i) const { return v.data() + i * cols; }
  double* row(std::size_t i) { return v.data() + i * cols; }
};

template <class T>
Dense to_dense(kmeans::Matrix<const T> m) {
  Dense out{std::vector<double>(m.rows() * m.cols()), m.rows(), m.cols()};
  for (std::size_t i = 0; i < m.rows(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j) out.v[i * m.cols() + j] = static_cast<double>(m(i, j));
  return out;
}

inline double sqdist(const double* a, const double* b, std::size_t d) {
  double s = 0;
  for (std::size_t j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

struct Assignment {
  std::vector<std::int32_t> labels;
  std::vector<double> best;    // distance to the nearest centroid
  std::vector<double> second;  // distance to the second nearest (infinity when k = 1)
  /// Whether row i's two nearest centroids are within `rel` (relative) of each other.
  bool near_tie(std::size_t i, double rel) const { return second[i] - best[i] <= rel * second[i]; }
};

inline Assignment assign(const Dense& X, const Dense& C) {
  Assignment a;
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < X.rows; ++i) {
    double best = inf, second = inf;
    std::int32_t label = -1;
    for (std::size_t c = 0; c < C.rows; ++c) {
      const double dist = sqdist(X.row(i), C.row(c), X.cols);
      if (dist < best) {
        second = best;
        best = dist;
        label = static_cast<std::int32_t>(c);
      } else if (dist < second) {
        second = dist;
      }
    }
    a.labels.push_back(label);
    a.best.push_back(best);
    a.second.push_back(second);
  }
  return a;
}

inline double inertia(const Dense& X, const Dense& C, const std::vector<std::int32_t>& labels) {
  double s = 0;
  for (std::size_t i = 0; i < X.rows; ++i) s += sqdist(X.row(i), C.row(static_cast<std::size_t>(labels[i])), X.cols);
  return s;
}

/// Cluster means; a cluster with no rows keeps its centroid from `previous`.
inline Dense means(const Dense& X, const std::vector<std::int32_t>& labels, const Dense& previous) {
  Dense sum{std::vector<double>(previous.v.size(), 0.0), previous.rows, previous.cols};
  std::vector<std::size_t> count(previous.rows, 0);
  for (std::size_t i = 0; i < X.rows; ++i) {
    const auto c = static_cast<std::size_t>(labels[i]);
    ++count[c];
    for (std::size_t j = 0; j < X.cols; ++j) sum.row(c)[j] += X.row(i)[j];
  }
  for (std::size_t c = 0; c < previous.rows; ++c)
    for (std::size_t j = 0; j < X.cols; ++j)
      sum.row(c)[j] = count[c] ? sum.row(c)[j] / static_cast<double>(count[c]) : previous.row(c)[j];
  return sum;
}

/// Adjusted Rand index of two labellings (Hubert and Arabie).
inline double adjusted_rand_index(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  std::map<std::pair<std::int32_t, std::int32_t>, double> both;
  std::map<std::int32_t, double> ca, cb;
  for (std::size_t i = 0; i < a.size(); ++i) {
    both[{a[i], b[i]}] += 1;
    ca[a[i]] += 1;
    cb[b[i]] += 1;
  }
  const auto pairs = [](double x) { return x * (x - 1) / 2; };
  double sum_both = 0, sum_a = 0, sum_b = 0;
  for (const auto& kv : both) sum_both += pairs(kv.second);
  for (const auto& kv : ca) sum_a += pairs(kv.second);
  for (const auto& kv : cb) sum_b += pairs(kv.second);
  const double expected = sum_a * sum_b / pairs(static_cast<double>(a.size()));
  const double max_index = (sum_a + sum_b) / 2;
  if (max_index == expected) return 1.0;
  return (sum_both - expected) / (max_index - expected);
}

/// k-means|| sampling (Bahmani et al. 2012), plainly: starting from row `first`, each round
/// draws row i when uniform(round, i) phi < l w_i d_i^2 (d_i: distance to the nearest
/// candidate, phi: the sum of w d^2), every distance recomputed from scratch; rounds go on
/// past `rounds` (at most 64 more) while fewer than k rows were drawn. Returns the drawn rows
/// in order and, per drawn row, the total weight of the rows nearest to it (lowest index
/// among equals).
struct Candidates {
  std::vector<std::size_t> rows;
  std::vector<double> mass;
};
template <class Uniform>
Candidates kmeans_parallel_candidates(const Dense& X, const std::vector<double>& w, std::size_t first, double l,
                                      std::size_t rounds, std::size_t k, Uniform uniform) {
  Candidates out;
  out.rows.push_back(first);
  std::vector<std::size_t> nearest(X.rows);
  const auto phi = [&] {
    double total = 0;
    for (std::size_t i = 0; i < X.rows; ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < out.rows.size(); ++c) {
        const double dist = sqdist(X.row(i), X.row(out.rows[c]), X.cols);
        if (dist < best) {
          best = dist;
          nearest[i] = c;
        }
      }
      total += w[i] * best;
    }
    return total;
  };
  for (std::size_t round = 1; round <= rounds + 64; ++round) {
    const double p = phi();
    if (!(p > 0) || (round > rounds && out.rows.size() >= k)) break;
    std::vector<std::size_t> drawn;
    for (std::size_t i = 0; i < X.rows; ++i) {
      const double d2 = sqdist(X.row(i), X.row(out.rows[nearest[i]]), X.cols);
      if (uniform(round, i) * p < l * w[i] * d2) drawn.push_back(i);
    }
    out.rows.insert(out.rows.end(), drawn.begin(), drawn.end());
  }
  phi();
  out.mass.assign(out.rows.size(), 0.0);
  for (std::size_t i = 0; i < X.rows; ++i) out.mass[nearest[i]] += w[i];
  return out;
}

/// Greedy k-means++ as scikit-learn does it (2 + floor(ln k) trial rows per centre, the one
/// that lowers the potential most kept), drawing from `draw` (a uniform in [0, 1)) and `below`
/// (an integer below n) in the library's order: the first row, then per centre its trials.
/// A draw lands on the first row whose running sum of w d^2 exceeds it; a zero potential
/// draws uniformly. Returns the chosen rows. With integer data every sum is exact, so the
/// library must choose the same rows.
template <class Draw, class Below>
std::vector<std::size_t> kmeans_plus_plus(const Dense& X, const std::vector<double>& w, std::size_t k, Draw draw,
                                          Below below) {
  const std::size_t n = X.rows;
  const std::size_t trials = 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  const auto land = [&](const std::vector<double>& mass, double r) {
    double acc = 0;
    for (std::size_t i = 0; i < n; ++i) {
      acc += mass[i];
      if (acc > r && mass[i] > 0) return i;
    }
    std::size_t i = n;
    while (i > 1 && !(mass[i - 1] > 0)) --i;
    return i - 1;
  };
  double total_weight = 0;
  for (const double v : w) total_weight += v;
  std::vector<std::size_t> chosen{land(w, draw() * total_weight)};
  std::vector<double> closest(n);
  for (std::size_t i = 0; i < n; ++i) closest[i] = w[i] * sqdist(X.row(i), X.row(chosen[0]), X.cols);
  while (chosen.size() < k) {
    double pot = 0;
    for (const double v : closest) pot += v;
    std::vector<std::size_t> cand(trials);
    for (std::size_t t = 0; t < trials; ++t) cand[t] = pot > 0 ? land(closest, draw() * pot) : below(n);
    std::size_t best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (std::size_t t = 0; t < trials; ++t) {
      double p = 0;
      for (std::size_t i = 0; i < n; ++i) p += std::min(closest[i], w[i] * sqdist(X.row(i), X.row(cand[t]), X.cols));
      if (p < best_pot) {
        best_pot = p;
        best = t;
      }
    }
    chosen.push_back(cand[best]);
    for (std::size_t i = 0; i < n; ++i)
      closest[i] = std::min(closest[i], w[i] * sqdist(X.row(i), X.row(cand[best]), X.cols));
  }
  return chosen;
}

inline double rel_diff(double a, double b) {
  const double scale = std::max(std::abs(a), std::abs(b));
  return scale == 0 ? 0 : std::abs(a - b) / scale;
}

/// The largest difference of two matrices' values, relative to the reference's (b's), or
/// absolute below 1.
inline double worst_rel(const Dense& a, const Dense& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.v.size(); ++i)
    worst = std::max(worst, std::abs(a.v[i] - b.v[i]) / std::max(1.0, std::abs(b.v[i])));
  return worst;
}

}  // namespace ref
