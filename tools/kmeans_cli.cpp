// The `kmeans` command-line tool: tools/cli.hpp is all of it.
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return kmeans_tool::run(args, std::cout, std::cerr);
}
