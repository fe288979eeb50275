// libFuzzer target: bytes -> the command-line tool's data file parsers (tools/data_files.hpp).
//
// Input: one mode byte (bit 0: CSV, else .npy), then the file. Only DataError may escape a
// parser. A .npy it accepts must have rows, columns and data_offset within the input, and
// every one of its rows x cols values must be readable (AddressSanitizer watches the reads);
// a CSV it accepts must have rows x cols values, cols >= 1. Any violation aborts, which
// libFuzzer reports with the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "data_files.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "data_file_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return 0;
  // A copy of exactly the file's bytes, so that a read past them is caught.
  const std::vector<unsigned char> file(input + 1, input + size);
  try {
    if ((input[0] & 1) != 0) {
      const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
      const kmeans_tool::Csv csv = kmeans_tool::parse_csv(text, "fuzz.csv");
      require(csv.rows >= 1 && csv.cols >= 1, "an empty CSV accepted");
      require(csv.values.size() == csv.rows * csv.cols, "CSV values != rows x cols");
    } else {
      const kmeans_tool::NpyLayout l = kmeans_tool::parse_npy(file.data(), file.size(), "fuzz.npy");
      require(l.rows >= 1 && l.cols >= 1, "an empty .npy accepted");
      require(l.data_offset <= file.size(), "data beyond the file");
      const std::size_t n = l.rows * l.cols;
      require(n / l.rows == l.cols, "rows x cols overflows");
      require(n * kmeans_tool::element_size(l.element) <= file.size() - l.data_offset, "values beyond the file");
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i)
        sum += kmeans_tool::element_at<double>(file.data() + l.data_offset, l.element, i);
      static volatile double sink;
      sink = sum;
    }
  } catch (const kmeans_tool::DataError&) {
  }
  return 0;
}
