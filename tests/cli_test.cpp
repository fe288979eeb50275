// The command-line tool (tools/cli.hpp) and its data files (tools/data_files.hpp): the
// verbs against the library and the brute-force reference, every malformed input a one-line
// error naming the file, exit statuses.
#include "cli.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <kmeans/kmeans.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model_checks.hpp"
#include "reference.hpp"
#include "test_data.hpp"

using kmeans_tool::DataError;
using kmeans_tool::parse_csv;
using kmeans_tool::parse_npy;

namespace {

std::string cli_temp(const std::string& name) { return "kmeans_cli_test_" + name; }

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::vector<unsigned char> read_bytes(const std::string& path) { return kmeans::detail::read_file(path); }

/// A .npy file by hand: header dict and raw data bytes (format 1.0, no padding rules).
std::vector<unsigned char> npy_bytes(const std::string& dict, const std::vector<unsigned char>& data, int major = 1) {
  std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  const std::size_t n = dict.size();
  b.push_back(static_cast<unsigned char>(n & 0xff));
  b.push_back(static_cast<unsigned char>(n >> 8));
  if (major >= 2) {
    b.push_back(0);
    b.push_back(0);
  }
  b.insert(b.end(), dict.begin(), dict.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

std::string npy_error(const std::vector<unsigned char>& b) {
  try {
    parse_npy(b.data(), b.size(), "f.npy");
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

std::string csv_error(const std::string& text) {
  try {
    parse_csv(text, "f.csv");
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

struct CliRun {
  int status;
  std::string out, err;
};

CliRun cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = kmeans_tool::run(args, out, err);
  return {status, out.str(), err.str()};
}

template <class T>
std::vector<T> npy_values(const std::string& path, std::size_t& rows, std::size_t& cols) {
  const std::vector<unsigned char> b = read_bytes(path);
  const kmeans_tool::NpyLayout l = parse_npy(b.data(), b.size(), path);
  rows = l.rows;
  cols = l.cols;
  std::vector<T> v(l.rows * l.cols);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = kmeans_tool::element_at<T>(b.data() + l.data_offset, l.element, i);
  return v;
}

}  // namespace

TEST_CASE("kmeans fit, predict and transform on .npy data agree with the library and the reference", "[cli]") {
  const auto blobs_data = kmeans::make_blobs<double>(3000, 6, 5, 1.5, 71);
  const std::string data = cli_temp("data.npy"), model = cli_temp("model.kmeans"), labels = cli_temp("labels.npy"),
                    distances = cli_temp("distances.npy");
  kmeans_tool::write_npy(data, blobs_data.data.data(), {3000, 6});

  const CliRun fit = cli({"fit", data, "-k", "5", "--seed", "7", "--algorithm", "hamerly", "-o", model});
  CHECK(fit.status == 0);
  CHECK(contains(fit.err, "iteration 1: inertia"));
  CHECK(contains(fit.err, "3000 x 6 float64 rows in float64, k = 5"));
  CHECK(contains(fit.err, "algorithm hamerly"));

  kmeans::Options o;
  o.n_clusters = 5;
  o.seed = 7;
  kmeans::KMeans<double> direct(o);
  direct.fit(blobs_data.X());
  const auto saved = kmeans::KMeans<double>::load(model);
  CHECK(std::memcmp(saved.centroids().data(), direct.centroids().data(), 30 * sizeof(double)) == 0);

  REQUIRE(cli({"predict", model, data, "-o", labels, "-q"}).status == 0);
  // A 1-D int32 .npy (which the tool does not read as data), by hand.
  const std::vector<unsigned char> lb = read_bytes(labels);
  const std::size_t header = 10 + (lb[8] | (std::size_t{lb[9]} << 8));
  CHECK(header % 64 == 0);
  CHECK(contains(std::string(lb.begin() + 10, lb.begin() + static_cast<std::ptrdiff_t>(header)),
                 "{'descr': '<i4', 'fortran_order': False, 'shape': (3000,), }"));
  REQUIRE(lb.size() == header + 3000 * 4);
  std::vector<std::int32_t> l(3000);
  std::memcpy(l.data(), lb.data() + header, 3000 * 4);
  std::size_t rows = 0, cols = 0;
  CHECK(l == ref::assign(ref::to_dense(blobs_data.X()), ref::to_dense(saved.centroids())).labels);

  REQUIRE(cli({"transform", model, data, "-o", distances, "-q"}).status == 0);
  const std::vector<double> d = npy_values<double>(distances, rows, cols);
  CHECK(rows == 3000);
  CHECK(cols == 5);
  CHECK(d == saved.transform(blobs_data.X()));

  // --metric cosine: the saved model predicts by cosine, as the library's cosine model does.
  REQUIRE(cli({"fit", data, "-k", "5", "--metric", "cosine", "-o", model, "-q"}).status == 0);
  kmeans::Options cos = o;
  cos.seed = 0;
  cos.metric = kmeans::Metric::cosine;
  kmeans::KMeans<double> cosine(cos);
  cosine.fit(blobs_data.X());
  CHECK(kmeans::KMeans<double>::load(model).options().metric == kmeans::Metric::cosine);
  CHECK(kmeans::KMeans<double>::load(model).predict(blobs_data.X()) == cosine.labels());
  CHECK(cli({"fit", data, "-k", "5", "--metric", "manhattan", "-o", model}).status == 2);

  // float32 data is fitted in float32, in place; --float32 converts float64 data.
  std::vector<float> f(blobs_data.data.begin(), blobs_data.data.end());
  kmeans_tool::write_npy(data, f.data(), {3000, 6});
  REQUIRE(cli({"fit", data, "-k", "5", "-o", model, "-q"}).status == 0);
  CHECK_FALSE(kmeans::saved_model_info(model).double_values);
  const kmeans_tool::Rows<float> in_place = kmeans_tool::read_rows<float>(data);
  CHECK(in_place.owned.empty());  // a view of the memory map
  REQUIRE(cli({"transform", model, data, "-o", distances, "-q"}).status == 0);
  CHECK(npy_values<float>(distances, rows, cols) == kmeans::KMeans<float>::load(model).transform(in_place.X));

  for (const auto& p : {data, model, labels, distances}) std::remove(p.c_str());
}

TEST_CASE("integer .npy and CSV data are converted, with the same fit as the doubles they hold", "[cli]") {
  const std::vector<std::int16_t> ints = {0, 0, 1, 1, 0, 1, 10, 10, 11, 10, 10, 11, 30, 0, 31, 1};
  std::vector<unsigned char> raw(ints.size() * 2);
  std::memcpy(raw.data(), ints.data(), raw.size());
  const std::string npy = cli_temp("ints.npy"), csv = cli_temp("ints.csv"), m1 = cli_temp("m1"), m2 = cli_temp("m2");
  const auto b = npy_bytes("{'descr': '<i2', 'fortran_order': False, 'shape': (8, 2), }\n", raw);
  std::ofstream(npy, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  write_text(csv, "x, y\r\n0,0\n1,1\n\n0,1\n10,10\n11,10\n10,11\n30,0\n+31,1.0e0\n");
  REQUIRE(cli({"fit", npy, "-k", "3", "-o", m1, "-q"}).status == 0);
  REQUIRE(cli({"fit", csv, "-k", "3", "-o", m2, "-q"}).status == 0);
  const auto a = kmeans::KMeans<double>::load(m1), c = kmeans::KMeans<double>::load(m2);
  CHECK(std::memcmp(a.centroids().data(), c.centroids().data(), 6 * sizeof(double)) == 0);
  const kmeans_tool::Rows<double> rows = kmeans_tool::read_rows<double>(npy);
  CHECK(rows.owned == std::vector<double>(ints.begin(), ints.end()));
  for (const auto& p : {npy, csv, m1, m2}) std::remove(p.c_str());
}

TEST_CASE("malformed .npy files are one-line errors naming the problem", "[cli][errors]") {
  const std::vector<unsigned char> eight(8 * 6, 0);
  const auto dict = [](const std::string& descr, const std::string& order, const std::string& shape) {
    return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }\n";
  };
  CHECK(npy_error(npy_bytes(dict("<f8", "False", "(2, 3)"), eight)).empty());
  CHECK(npy_error(npy_bytes(dict("<f8", "False", "(2, 3)"), eight, 2)).empty());
  CHECK(contains(npy_error({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}), "f.npy: not a .npy file (bad magic)"));
  auto b = npy_bytes(dict("<f8", "False", "(2, 3)"), eight);
  b[6] = 4;
  CHECK(contains(npy_error(b), "format version 4"));
  b = npy_bytes(dict("<f8", "False", "(2, 3)"), eight);
  CHECK(contains(npy_error(std::vector<unsigned char>(b.begin(), b.begin() + 30)), "truncated .npy header"));
  CHECK(contains(npy_error(std::vector<unsigned char>(b.begin(), b.end() - 1)),
                 "truncated data: 2 x 3 values announced, 5 there"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "True", "(2, 3)"), eight)), "Fortran-ordered"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "False", "(6,)"), eight)), "a 1-D array"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "False", "(1, 2, 3)"), eight)), "a 3-D array"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "False", "(0, 3)"), eight)), "an empty array"));
  CHECK(contains(npy_error(npy_bytes(dict("<c16", "False", "(2, 3)"), eight)), "unsupported dtype '<c16'"));
  CHECK(contains(npy_error(npy_bytes(dict("|O", "False", "(2, 3)"), eight)), "unsupported dtype '|O'"));
  CHECK(contains(npy_error(npy_bytes(dict(">f8", "False", "(2, 3)"), eight)), "big-endian"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "False", "(4294967296, 4294967296)"), eight)), "truncated data"));
  CHECK(contains(npy_error(npy_bytes(dict("<f8", "False", "(18446744073709551615, 2)"), eight)), "truncated data"));
  CHECK(contains(npy_error(npy_bytes("{'descr': '<f8', 'shape': (2, 3), }", eight)), "lacks 'fortran_order'"));
  CHECK(contains(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3), }", eight)),
                 "'fortran_order' is 'Maybe'"));
  CHECK(contains(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", eight)),
                 "not integers"));
  CHECK(contains(npy_error(npy_bytes("{'descr: '<f8'", eight)), "malformed .npy header"));
}

TEST_CASE("malformed CSV files are one-line errors with the line and column", "[cli][errors]") {
  CHECK(csv_error("1,2\n3,4\n").empty());
  CHECK(csv_error("a,b\n1,2\n").empty());  // a header row
  CHECK(contains(csv_error("1,2\n3,x\n"), "f.csv: line 2, column 2: 'x' is not a number"));
  CHECK(contains(csv_error("a,b\nc,d\n"), "line 2, column 1: 'c' is not a number"));
  CHECK(contains(csv_error("1,2\n3,4,5\n"), "line 2: 3 fields, where the first row has 2"));
  CHECK(contains(csv_error("a,b,c\n1,2\n"), "line 2: 2 fields, where the first row has 3"));
  CHECK(contains(csv_error("1,2\n\n3,\n"), "line 3, column 2: an empty field"));
  CHECK(contains(csv_error("1,2\n3,1e999\n"), "line 2, column 2: '1e999' is out of range"));
  CHECK(contains(csv_error(""), "no rows of numbers"));
  CHECK(contains(csv_error("a,b\n"), "no rows of numbers"));
  const kmeans_tool::Csv c = parse_csv("1, 2\r\n\n  -3.5 ,+4e1\n", "f.csv");
  CHECK(c.rows == 2);
  CHECK(c.cols == 2);
  CHECK(c.values == std::vector<double>{1, 2, -3.5, 40});
  // NaN parses, and the fit names its row and column
  const std::string csv = cli_temp("nan.csv");
  write_text(csv, "1,2\n3,nan\n5,6\n");
  const CliRun r = cli({"fit", csv, "-k", "2", "-o", cli_temp("unused"), "-q"});
  CHECK(r.status == 1);
  CHECK(r.err == "kmeans: " + csv + ": X has a NaN at row 1, column 1\n");
  std::remove(csv.c_str());
}

TEST_CASE("the command line: help, usage errors and exit statuses", "[cli][errors]") {
  CHECK(cli({"--help"}).status == 0);
  CHECK(contains(cli({"fit", "--help"}).out, "-k, --clusters K"));
  CHECK(contains(cli({"predict", "--help"}).out, "int32 .npy"));
  for (const std::vector<std::string>& bad : {std::vector<std::string>{},
                                              {"cluster"},
                                              {"fit", "x.npy", "-o", "m"},
                                              {"fit", "x.npy", "-k", "3"},
                                              {"fit", "x.npy", "-k", "three", "-o", "m"},
                                              {"fit", "x.npy", "-k", "-3", "-o", "m"},
                                              {"fit", "x.npy", "-k", "3", "-o", "m", "--algorithm", "fastest"},
                                              {"predict", "m", "-o", "l"},
                                              {"fit", "x.npy", "-k", "3", "-o", "m", "--bogus"},
                                              {"predict", "m", "x", "-o", "l", "-k", "3"},
                                              {"fit", "x.npy", "-k", "3", "-o"}}) {
    CAPTURE(bad);
    const CliRun r = cli(bad);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "usage: kmeans fit"));
  }
  const CliRun missing = cli({"fit", cli_temp("absent.npy"), "-k", "3", "-o", cli_temp("m")});
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "absent.npy: cannot open it"));
  const std::string not_model = cli_temp("not_model");
  write_text(not_model, "hello");
  const CliRun bad_model = cli({"predict", not_model, not_model, "-o", cli_temp("l")});
  CHECK(bad_model.status == 1);
  CHECK(contains(bad_model.err, "bad magic"));
  std::remove(not_model.c_str());
}
