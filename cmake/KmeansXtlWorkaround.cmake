# Debian's xsimd 8.1 exports a target whose INTERFACE_LINK_LIBRARIES names `xtl`, a header-only
# library it does not depend on at all; with no target of that name the link line gets -lxtl
# and fails. Find a real xtl if there is one, else stand in an empty target.
if(NOT TARGET xtl)
  find_package(xtl QUIET CONFIG)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED GLOBAL)
  endif()
endif()
