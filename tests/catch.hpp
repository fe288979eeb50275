#pragma once
// Catch2 v2 (Debian bookworm) and v3 have different headers; tests include this one.
#if defined(KMEANS_CATCH2_V3)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
