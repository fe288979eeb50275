#pragma once
// The command-line tool's data files: .npy (read in place from a memory map, or converted
// when its type is not the one computed in) and CSV in, .npy out. Parsing works on bytes in
// memory, so that the fuzz target (tests/fuzz/data_file_fuzzer.cpp) reaches all of it; every
// malformed input is a DataError naming the file and the problem, never a crash.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace kmeans_tool {

/// A malformed or unreadable data file; what() is one line that names the file.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void fail(const std::string& file, Args&&... parts) {
  std::string m = file + ": ";
  (m.append(parts), ...);
  throw DataError(m);
}

inline std::string str(std::uint64_t v) { return std::to_string(v); }

/// The element types a .npy file may hold, as NumPy spells them ('<f8', '|u1', ...).
enum class Element { f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1 };

inline std::size_t element_size(Element e) {
  switch (e) {
    case Element::f4:
    case Element::i4:
    case Element::u4: return 4;
    case Element::f8:
    case Element::i8:
    case Element::u8: return 8;
    case Element::i2:
    case Element::u2: return 2;
    default: return 1;
  }
}

/// A parsed .npy header: where the rows x cols values of `element` begin.
struct NpyLayout {
  Element element = Element::f8;
  std::size_t rows = 0, cols = 0, data_offset = 0;
};

namespace npy_detail {

/// The header's Python dict literal, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::uint64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      expect(':');
      skip_space();
      if (key == "descr") {
        descr = quoted();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = word() == "True";
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail(file_, "unknown key '", key, "' in the .npy header");
      }
      skip_space();
      if (peek() == ',') ++pos_;
    }
    if (!have_descr || !have_order || !have_shape)
      fail(file_, "the .npy header lacks ", !have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'");
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c)
      fail(file_, "malformed .npy header (expected '", std::string(1, c), "' at character ", str(pos_), ")");
    ++pos_;
  }
  std::string quoted() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"')
      fail(file_, "malformed .npy header (expected a quoted key or value at character ", str(pos_), ")");
    const std::size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail(file_, "malformed .npy header (an unterminated string)");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  std::string word() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= 'A' && s_[pos_] <= 'z') ++pos_;
    std::string w(s_.substr(start, pos_ - start));
    if (w != "True" && w != "False") fail(file_, "malformed .npy header ('fortran_order' is '", w, "')");
    return w;
  }
  std::vector<std::uint64_t> tuple() {
    expect('(');
    std::vector<std::uint64_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
      if (ec != std::errc() || end == s_.data() + pos_)
        fail(file_, "malformed .npy header (a shape that is not integers)");
      pos_ = static_cast<std::size_t>(end - s_.data());
      dims.push_back(v);
      if (dims.size() > 32) fail(file_, "malformed .npy header (more than 32 dimensions)");
      skip_space();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const std::string& file_;
  std::size_t pos_ = 0;
};

inline Element element_named(const std::string& descr, const std::string& file) {
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=')) {
    const std::string t = descr.substr(1);
    static const std::pair<const char*, Element> known[] = {
        {"f4", Element::f4}, {"f8", Element::f8}, {"i1", Element::i1}, {"i2", Element::i2},
        {"i4", Element::i4}, {"i8", Element::i8}, {"u1", Element::u1}, {"u2", Element::u2},
        {"u4", Element::u4}, {"u8", Element::u8}, {"b1", Element::b1}};
    for (const auto& [name, e] : known)
      if (t == name && (descr[0] != '|' || element_size(e) == 1)) return e;
  }
  if (!descr.empty() && descr[0] == '>')
    fail(file, "big-endian data ('", descr, "') is not supported; save it little-endian (a.astype('<", descr.substr(1),
         "'))");
  fail(file, "unsupported dtype '", descr, "' (float32, float64, integers and bool are)");
}

}  // namespace npy_detail

/// The layout of a .npy file from its first `size` bytes (the whole file: the data's size is
/// checked against the header).
inline NpyLayout parse_npy(const unsigned char* data, std::size_t size, const std::string& file) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(data, magic, 6) != 0) fail(file, "not a .npy file (bad magic)");
  const unsigned major = data[6];
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = data[8] | (std::size_t{data[9]} << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(file, "truncated .npy header");
    header_len = data[8] | (std::size_t{data[9]} << 8) | (std::size_t{data[10]} << 16) | (std::size_t{data[11]} << 24);
    header_start = 12;
  } else {
    fail(file, "unsupported .npy format version ", str(major), " (1, 2 and 3 are)");
  }
  if (header_len > size - header_start)
    fail(file, "truncated .npy header (", str(header_len), " bytes announced, ", str(size - header_start), " there)");
  const std::string_view header(reinterpret_cast<const char*>(data + header_start), header_len);
  std::string descr;
  bool fortran = false;
  std::vector<std::uint64_t> shape;
  npy_detail::DictParser(header, file).parse(descr, fortran, shape);
  NpyLayout l;
  l.element = npy_detail::element_named(descr, file);
  if (fortran) fail(file, "Fortran-ordered data is not supported; save it in C order (np.ascontiguousarray)");
  if (shape.size() != 2) fail(file, "a ", str(shape.size()), "-D array; kmeans needs a 2-D array of rows x features");
  if (shape[0] == 0 || shape[1] == 0) fail(file, "an empty array (", str(shape[0]), " x ", str(shape[1]), ")");
  l.data_offset = header_start + header_len;
  const std::uint64_t available = (size - l.data_offset) / element_size(l.element);
  if (shape[0] > available || shape[1] > available || shape[0] > available / shape[1])  // no product to overflow
    fail(file, "truncated data: ", str(shape[0]), " x ", str(shape[1]), " values announced, ", str(available),
         " there");
  l.rows = static_cast<std::size_t>(shape[0]);
  l.cols = static_cast<std::size_t>(shape[1]);
  return l;
}

/// Element i of a .npy file's data as U (little-endian, any alignment).
template <class U>
U element_at(const unsigned char* p, Element e, std::size_t i) {
  const auto load = [&](auto tag) {
    using V = decltype(tag);
    V v;
    std::memcpy(&v, p + i * sizeof(V), sizeof(V));
    return static_cast<U>(v);
  };
  switch (e) {
    case Element::f4: return load(float{});
    case Element::f8: return load(double{});
    case Element::i1: return load(std::int8_t{});
    case Element::i2: return load(std::int16_t{});
    case Element::i4: return load(std::int32_t{});
    case Element::i8: return load(std::int64_t{});
    case Element::u1: return load(std::uint8_t{});
    case Element::u2: return load(std::uint16_t{});
    case Element::u4: return load(std::uint32_t{});
    case Element::u8: return load(std::uint64_t{});
    case Element::b1: return static_cast<U>(p[i] != 0);
  }
  return U{};
}

/// A CSV file's numbers: rows of the same length, comma-separated, a header row optional (a
/// first row with a field that is not a number). Blank lines are skipped; '#' starts nothing.
struct Csv {
  std::vector<double> values;
  std::size_t rows = 0, cols = 0;
};

inline Csv parse_csv(std::string_view text, const std::string& file) {
  Csv out;
  std::size_t line_no = 0, pos = 0;
  bool first_row = true;
  std::vector<double> row;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    row.clear();
    std::size_t field_start = 0, column = 0;
    // The first field that is not a number, and whether any field is text (not empty).
    std::string bad_field;
    std::size_t bad_column = 0;
    bool text = false;
    while (true) {
      ++column;
      std::size_t comma = line.find(',', field_start);
      if (comma == std::string_view::npos) comma = line.size();
      std::string_view field = line.substr(field_start, comma - field_start);
      while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
      while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
      std::string_view number = field;
      if (!number.empty() && number.front() == '+') number.remove_prefix(1);  // from_chars takes no '+'
      double v = 0;
      const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
      const bool whole = !number.empty() && p == number.data() + number.size();
      if (whole && ec == std::errc::result_out_of_range)
        fail(file, "line ", str(line_no), ", column ", str(column), ": '", std::string(field),
             "' is out of range for a double");
      if (!whole || ec != std::errc()) {
        if (bad_column == 0) {
          bad_field = std::string(field.substr(0, 40));
          bad_column = column;
        }
        text = text || !field.empty();
      }
      row.push_back(v);
      if (comma == line.size()) break;
      field_start = comma + 1;
    }
    if (bad_column != 0) {
      if (first_row && text) {  // a header: its fields name the columns; only their number is kept
        first_row = false;
        out.cols = row.size();
        continue;
      }
      if (bad_field.empty()) fail(file, "line ", str(line_no), ", column ", str(bad_column), ": an empty field");
      fail(file, "line ", str(line_no), ", column ", str(bad_column), ": '", bad_field, "' is not a number");
    }
    if (out.cols == 0) out.cols = row.size();
    if (row.size() != out.cols)
      fail(file, "line ", str(line_no), ": ", str(row.size()), " fields, where the first row has ", str(out.cols));
    first_row = false;
    out.values.insert(out.values.end(), row.begin(), row.end());
    ++out.rows;
  }
  if (out.rows == 0) fail(file, "no rows of numbers");
  return out;
}

/// A whole file's bytes, memory-mapped read-only (a .npy's values are used in place).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY);
    if (fd_ < 0) fail(path, "cannot open it (", std::strerror(errno), ")");
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      fail(path, "not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
      if (p == MAP_FAILED) {
        ::close(fd_);
        fail(path, "cannot map it (", std::strerror(errno), ")");
      }
      data_ = static_cast<const unsigned char*>(p);
    }
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
    ::close(fd_);
  }
  const unsigned char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Writes a C-ordered .npy file of `shape` from `values` (format 1.0, the data 64-byte
/// aligned), to path.tmp, then renamed over path.
template <class U>
void write_npy(const std::string& path, const U* values, const std::vector<std::size_t>& shape) {
  static_assert(sizeof(U) == 4 || sizeof(U) == 8, "int32, float or double");
  const char* descr = std::is_same_v<U, float> ? "<f4" : std::is_same_v<U, double> ? "<f8" : "<i4";
  std::string dims;
  std::size_t count = 1;
  for (const std::size_t s : shape) {
    dims += std::to_string(s) + ",";
    if (shape.size() > 1 && &s == &shape.back()) dims.pop_back();
    count *= s;
  }
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(path, "cannot open ", tmp, " for writing (", std::strerror(errno), ")");
  const unsigned char preamble[10] = {0x93,
                                      'N',
                                      'U',
                                      'M',
                                      'P',
                                      'Y',
                                      1,
                                      0,
                                      static_cast<unsigned char>(header.size() & 0xff),
                                      static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(preamble, 1, 10, f) == 10 && std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(values, sizeof(U), count, f) == count;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, "writing failed (disk full?)");
  }
}

}  // namespace kmeans_tool
