#pragma once
// The MPI transport of a distributed fit: kmeans::detail::Collective over a communicator, and
// the agreement on errors that keeps every process out of a collective another has left.
// Included by kmeans/mpi.hpp only; with it, the only files that include <mpi.h>.

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "../options.hpp"
#include "collective.hpp"

namespace kmeans::mpi::detail {

/// kmeans::detail::Collective over an MPI communicator.
class MpiPeers final : public kmeans::detail::Collective {
 public:
  MpiPeers(MPI_Comm comm, std::size_t local_rows) : comm_(comm) {
    int rank = 0, size = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    rank_ = static_cast<std::size_t>(rank);
    std::vector<unsigned long long> rows(static_cast<std::size_t>(size));
    const unsigned long long mine = local_rows;
    MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, rows.data(), 1, MPI_UNSIGNED_LONG_LONG, comm);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (r < rank_) offset_ += rows[r];
      total_ += rows[r];
    }
    rows_ = std::vector<std::size_t>(rows.begin(), rows.end());
  }

  /// MPI_Reduce to process 0, then MPI_Bcast: MPI_Allreduce does not promise the same bits on
  /// every process, and the fit needs them (every process must compute the same centroids).
  void sum(double* values, std::size_t n) override {
    for (std::size_t done = 0; done < n;) {
      const int count = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
      if (rank_ == 0)
        MPI_Reduce(MPI_IN_PLACE, values + done, count, MPI_DOUBLE, MPI_SUM, 0, comm_);
      else
        MPI_Reduce(values + done, nullptr, count, MPI_DOUBLE, MPI_SUM, 0, comm_);
      MPI_Bcast(values + done, count, MPI_DOUBLE, 0, comm_);
      done += static_cast<std::size_t>(count);
    }
  }

  bool any(bool flag) override {
    int mine = flag ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LOR, comm_);
    return all != 0;
  }

  std::vector<char> gather(const std::vector<char>& bytes) override { return gather(bytes, nullptr); }

  /// gather(), also telling how many bytes came from each process.
  std::vector<char> gather(const std::vector<char>& bytes, std::vector<long long>* sizes_out) {
    const std::size_t size = rows_.size();
    const long long mine = static_cast<long long>(bytes.size());
    std::vector<long long> sizes(size);
    MPI_Allgather(&mine, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, comm_);
    std::vector<int> counts(size), displs(size);
    long long total = 0;
    for (std::size_t r = 0; r < size; ++r) {
      if (total + sizes[r] > INT_MAX)  // the same sizes everywhere: every process throws
        throw std::length_error("kmeans::mpi: a gather of more than 2 GiB (candidate rows) is not supported");
      counts[r] = static_cast<int>(sizes[r]);
      displs[r] = static_cast<int>(total);
      total += sizes[r];
    }
    std::vector<char> all(static_cast<std::size_t>(total));
    MPI_Allgatherv(bytes.data(), counts[rank_], MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, comm_);
    if (sizes_out) *sizes_out = std::move(sizes);
    return all;
  }

  std::size_t rank() const override { return rank_; }
  std::size_t row_offset() const override { return offset_; }
  std::size_t total_rows() const override { return total_; }
  /// Rows of every process, in process order.
  const std::vector<std::size_t>& rows() const { return rows_; }

  /// Runs `check` on every process; if it threw on any, every process throws the same error:
  /// the first failing process's message, prefixed with its rank. (A process that threw
  /// alone would leave the others waiting in a collective.)
  template <class Check>
  void agree(Check&& check) {
    std::string message;
    char kind = 0;  // 'i': invalid_argument, 'o': any other exception
    try {
      check();
    } catch (const std::invalid_argument& e) {
      kind = 'i';
      message = e.what();
    } catch (const std::exception& e) {
      kind = 'o';
      message = e.what();
    }
    std::vector<char> mine;
    if (kind) {
      mine.push_back(kind);
      mine.insert(mine.end(), message.begin(), message.end());
    }
    std::vector<long long> sizes;
    const std::vector<char> all = gather(mine, &sizes);
    std::size_t at = 0;
    for (std::size_t r = 0; r < sizes.size(); at += static_cast<std::size_t>(sizes[r]), ++r) {
      if (sizes[r] == 0) continue;
      const auto from = all.begin() + static_cast<std::ptrdiff_t>(at);
      std::string what(from + 1, from + sizes[r]);
      if (what.rfind("kmeans: ", 0) == 0) what.erase(0, 8);
      const std::string text = "kmeans: rank " + std::to_string(r) + ": " + what;
      if (*from == 'i') throw std::invalid_argument(text);
      throw std::runtime_error(text);
    }
  }

 private:
  MPI_Comm comm_;
  std::size_t rank_ = 0, offset_ = 0, total_ = 0;
  std::vector<std::size_t> rows_;
};

/// The options that decide what a fit does, as numbers: every process must pass the same.
inline std::vector<double> fingerprint(const Options& o) {
  return {static_cast<double>(o.n_clusters),
          static_cast<double>(o.max_iter),
          o.tol,
          o.run_till_max_iter ? 1.0 : 0.0,
          static_cast<double>(o.n_init),
          static_cast<double>(o.init),
          static_cast<double>(o.algorithm),
          static_cast<double>(o.elkan_max_bytes),
          static_cast<double>(o.seed),
          o.oversampling,
          static_cast<double>(o.init_rounds),
          o.on_iteration ? 1.0 : 0.0};
}

}  // namespace kmeans::mpi::detail
