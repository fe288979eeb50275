// Every header in two translation units linked together: a non-inline function defined in
// a header would be a duplicate symbol here.
#include <kmeans/kmeans.hpp>

double odr_fit_a() {
  const auto b = kmeans::make_blobs<float>(200, 3, 2, 0.5, 1);
  kmeans::Options o;
  o.n_clusters = 2;
  o.n_threads = 2;
  return kmeans::KMeans<float>(o).fit(b.X()).inertia();
}
