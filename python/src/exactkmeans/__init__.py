"""exactkmeans: scikit-learn's KMeans and MiniBatchKMeans on the kmeans C++ library.

Exact k-means (Lloyd, Elkan, Hamerly, Yinyang: the same answer, iteration by iteration),
k-means++ and k-means|| initialisation, an xsimd-vectorised kernel on std::thread, and
results that are bit-identical on any number of threads::

    from exactkmeans import KMeans
    km = KMeans(n_clusters=8, random_state=0).fit(X)
    km.cluster_centers_, km.labels_, km.inertia_
"""

from ._kmeans import KMeans, MiniBatchKMeans

__all__ = ["KMeans", "MiniBatchKMeans"]
__version__ = "0.1.0"
