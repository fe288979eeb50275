#include <cstdio>
#include <kmeans/kmeans.hpp>

int main() {
  const auto blobs = kmeans::make_blobs<float>(1000, 8, 4, 0.5, 7);
  kmeans::Options options;
  options.n_clusters = 4;
  kmeans::KMeans<float> model(options);
  model.fit(blobs.X());
  const auto labels = model.predict(blobs.X());
  if (labels != model.labels() || !(model.inertia() > 0)) {
    std::puts("consumer: unexpected result");
    return 1;
  }
  std::printf("consumer: %zu iterations, inertia %.3f\n", model.n_iter(), model.inertia());
  return 0;
}
