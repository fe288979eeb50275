# Dependencies of the library itself: found on the system first, fetched only when missing.
include(GNUInstallDirs)
include(FetchContent)

find_package(Threads REQUIRED)

# Debian's xsimd 8 config says its target links `xtl`, which it does not install; an empty
# target of that name keeps the linker from looking for -lxtl.
include(KmeansXtlWorkaround)

FetchContent_Declare(xsimd
  GIT_REPOSITORY https://github.com/xtensor-stack/xsimd.git
  GIT_TAG 13.2.0
  GIT_SHALLOW TRUE
  FIND_PACKAGE_ARGS)
FetchContent_MakeAvailable(xsimd)
