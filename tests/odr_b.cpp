#include <kmeans/kmeans.hpp>
#include <kmeans/kmeans_model.hpp>

double odr_fit_b() {
  const auto b = kmeans::make_blobs<double>(200, 3, 2, 0.5, 1);
  kmeans::Options o;
  o.n_clusters = 2;
  o.n_threads = 2;
  return kmeans::KMeans<double>(o).fit(b.X()).inertia();
}
