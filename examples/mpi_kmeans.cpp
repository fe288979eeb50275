// The distributed fit from the command line. Each MPI process reads its share of the rows of
// a .npy file (float32 or float64, C order, 2-D), or generates its share of a blobs data
// set, and kmeans::mpi::fit clusters all of them together; rank 0 prints the result.
//
//   mpirun -np 2 build/release/examples/mpi_kmeans --blobs 200000 16 10 --k 10
//   mpirun -np 4 build/release/examples/mpi_kmeans --npy data.npy --k 64 --threads 1
//
// Options: --npy FILE | --blobs N D CENTERS (default 100000 16 8), --k K (8), --init
// parallel|random (parallel), --algorithm lloyd|hamerly|elkan|yinyang|automatic (automatic),
// --threads T per process (0: all), --seed S (0), --max-iter M (300), --tol TOL (1e-4).

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <kmeans/kmeans.hpp>
#include <kmeans/mpi.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string npy;
  std::size_t n = 100000, d = 16, centers = 8;
  kmeans::Options options;
};

Args parse(int argc, char** argv) {
  Args a;
  a.options.n_clusters = 8;
  a.options.init = kmeans::Init::kmeans_parallel;
  a.options.algorithm = kmeans::Algorithm::automatic;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto value = [&](int ahead = 1) -> std::string {
      if (i + ahead >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[i + ahead];
    };
    if (flag == "--npy") {
      a.npy = value();
      ++i;
    } else if (flag == "--blobs") {
      a.n = std::stoul(value(1));
      a.d = std::stoul(value(2));
      a.centers = std::stoul(value(3));
      i += 3;
    } else if (flag == "--k") {
      a.options.n_clusters = std::stoul(value());
      ++i;
    } else if (flag == "--init") {
      const std::string v = value();
      if (v != "parallel" && v != "random") throw std::invalid_argument("--init is parallel or random");
      a.options.init = v == "random" ? kmeans::Init::random : kmeans::Init::kmeans_parallel;
      ++i;
    } else if (flag == "--algorithm") {
      const std::string v = value();
      using kmeans::Algorithm;
      if (v == "lloyd")
        a.options.algorithm = Algorithm::lloyd;
      else if (v == "hamerly")
        a.options.algorithm = Algorithm::hamerly;
      else if (v == "elkan")
        a.options.algorithm = Algorithm::elkan;
      else if (v == "yinyang")
        a.options.algorithm = Algorithm::yinyang;
      else if (v == "automatic")
        a.options.algorithm = Algorithm::automatic;
      else
        throw std::invalid_argument("--algorithm is lloyd, hamerly, elkan, yinyang or automatic");
      ++i;
    } else if (flag == "--threads") {
      a.options.n_threads = std::stoul(value());
      ++i;
    } else if (flag == "--seed") {
      a.options.seed = std::stoull(value());
      ++i;
    } else if (flag == "--max-iter") {
      a.options.max_iter = std::stoul(value());
      ++i;
    } else if (flag == "--tol") {
      a.options.tol = std::stod(value());
      ++i;
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  return a;
}

/// This process's share of the rows of a 2-D C-order .npy file of float32 or float64 (read
/// as double): rows [n rank / size, n (rank + 1) / size).
std::vector<double> read_npy_share(const std::string& path, int rank, int size, std::size_t& n, std::size_t& d) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path + " is not a .npy file");
  std::uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  }
  std::string header(header_len, ' ');
  in.read(header.data(), header_len);
  const bool f8 = header.find("'<f8'") != std::string::npos, f4 = header.find("'<f4'") != std::string::npos;
  if (!(f8 || f4) || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(path + ": need little-endian float32 or float64 in C order, header " + header);
  const std::size_t open = header.find("'shape': (");
  if (open == std::string::npos) throw std::runtime_error(path + ": no shape in header");
  char* end = nullptr;
  n = std::strtoul(header.c_str() + open + 10, &end, 10);
  d = *end == ',' ? std::strtoul(end + 1, nullptr, 10) : 0;
  if (d == 0) throw std::runtime_error(path + ": need a 2-D array");
  const std::size_t begin = n * static_cast<std::size_t>(rank) / static_cast<std::size_t>(size);
  const std::size_t stop = n * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(size);
  const std::size_t item = f8 ? 8 : 4;
  in.seekg(static_cast<std::streamoff>(begin * d * item), std::ios::cur);
  std::vector<double> rows((stop - begin) * d);
  if (f8) {
    in.read(reinterpret_cast<char*>(rows.data()), static_cast<std::streamsize>(rows.size() * 8));
  } else {
    std::vector<float> raw(rows.size());
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size() * 4));
    for (std::size_t i = 0; i < raw.size(); ++i) rows[i] = raw[i];
  }
  if (!in) throw std::runtime_error(path + ": file shorter than its header says");
  n = stop - begin;
  return rows;
}

/// This process's n / size rows of blobs: the centres are the same on every process (seeded
/// by `seed`), the rows are drawn from a stream of the process's own.
std::vector<double> blobs_share(const Args& a, int rank, int size, std::size_t& n) {
  std::mt19937_64 centre_rng(a.options.seed);
  std::uniform_real_distribution<double> box(-10.0, 10.0);
  std::vector<double> centres(a.centers * a.d);
  for (double& c : centres) c = box(centre_rng);
  n = a.n * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(size) -
      a.n * static_cast<std::size_t>(rank) / static_cast<std::size_t>(size);
  std::mt19937_64 rng(a.options.seed * 1000003 + static_cast<std::uint64_t>(rank) + 1);
  std::uniform_int_distribution<std::size_t> pick(0, a.centers - 1);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> rows(n * a.d);
  for (std::size_t i = 0; i < n; ++i) {
    const double* c = centres.data() + pick(rng) * a.d;
    for (std::size_t j = 0; j < a.d; ++j) rows[i * a.d + j] = c[j] + noise(rng);
  }
  return rows;
}

const char* name(kmeans::Algorithm a) {
  switch (a) {
    case kmeans::Algorithm::lloyd: return "lloyd";
    case kmeans::Algorithm::hamerly: return "hamerly";
    case kmeans::Algorithm::elkan: return "elkan";
    case kmeans::Algorithm::yinyang: return "yinyang";
    case kmeans::Algorithm::automatic: break;
  }
  return "automatic";
}

int run(int argc, char** argv) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Arguments and data are each process's own: all agree on failure before the fit's
  // collectives start (a process that left alone would keep the others waiting).
  Args a;
  std::size_t n = 0, d = 0;
  std::vector<double> rows;
  int failed = 0, any_failed = 0;
  try {
    a = parse(argc, argv);
    d = a.d;
    rows = a.npy.empty() ? blobs_share(a, rank, size, n) : read_npy_share(a.npy, rank, size, n, d);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_kmeans (rank %d): %s\n", rank, e.what());
    failed = 1;
  }
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_failed) return 1;

  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  const auto result =
      kmeans::mpi::fit<double>(MPI_COMM_WORLD, kmeans::Matrix<const double>(rows.data(), n, d), a.options);
  const double seconds = MPI_Wtime() - start;

  unsigned long long mine = n, total = 0;
  MPI_Reduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    std::printf("%d processes, %llu rows x %zu features, k = %zu, %s\n", size, total, d, result.n_clusters,
                name(result.algorithm));
    std::printf("%zu iterations (%s), inertia %.6f, %.3f s\n", result.n_iter,
                result.converged ? "converged" : "not converged", result.inertia, seconds);
    const std::size_t shown = std::min<std::size_t>(result.n_clusters, 5);
    for (std::size_t c = 0; c < shown; ++c) {
      std::printf("centroid %zu:", c);
      for (std::size_t j = 0; j < std::min<std::size_t>(d, 6); ++j)
        std::printf(" %8.3f", result.centroid_matrix()(c, j));
      std::printf(d > 6 ? " ...\n" : "\n");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    status = run(argc, argv);
  } catch (const std::exception& e) {
    // The fit's errors are the same on every process: rank 0 reports them.
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) std::fprintf(stderr, "mpi_kmeans: %s\n", e.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
