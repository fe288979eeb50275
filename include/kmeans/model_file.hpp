#pragma once
/// @file
/// @brief What a saved model file holds, before loading it (which needs its kind and T).
/// KMeans<T>::save/load and MiniBatchKMeans<T>::save/load read and write the files;
/// docs/model-format.md describes them.

#include <cstddef>
#include <string>

#include "detail/model_file.hpp"

namespace kmeans {

/// @brief A saved model's kind, value type and shape.
struct SavedModelInfo {
  bool minibatch = false;     ///< MiniBatchKMeans (else KMeans)
  bool double_values = true;  ///< centroids of double (else float): load as T = double
  std::size_t n_clusters = 0;
  std::size_t n_features = 0;
};

/// @brief The kind, value type and shape of the model saved at `path`. Throws
/// std::invalid_argument, naming the file, as KMeans<T>::load does for a damaged one.
inline SavedModelInfo saved_model_info(const std::string& path) {
  const std::vector<unsigned char> bytes = detail::read_file(path);
  const detail::ModelState s = detail::decode(bytes.data(), bytes.size(), path);
  SavedModelInfo info;
  info.minibatch = s.kind == detail::ModelKind::minibatch;
  info.double_values = s.value_bytes == 8;
  info.n_clusters = static_cast<std::size_t>(s.k);
  info.n_features = static_cast<std::size_t>(s.d);
  return info;
}

}  // namespace kmeans
