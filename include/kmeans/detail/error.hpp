#pragma once
// Every exception the library throws is built here, so each message has one home.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kmeans::detail {

template <class... Args>
std::string message(Args&&... args) {
  std::ostringstream out;
  out.precision(17);
  out << "kmeans: ";
  (out << ... << std::forward<Args>(args));
  return out.str();
}

template <class... Args>
[[noreturn]] void throw_invalid_argument(Args&&... args) {
  throw std::invalid_argument(message(std::forward<Args>(args)...));
}

template <class... Args>
[[noreturn]] void throw_logic_error(Args&&... args) {
  throw std::logic_error(message(std::forward<Args>(args)...));
}

}  // namespace kmeans::detail
