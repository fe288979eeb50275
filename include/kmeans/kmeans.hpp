#pragma once
/// @file
/// @brief The whole public API of kmeans except the optional MPI header (kmeans/mpi.hpp,
/// which needs <mpi.h>).

#include "datasets.hpp"
#include "init.hpp"
#include "kmeans_model.hpp"
#include "matrix.hpp"
#include "minibatch.hpp"
#include "model_file.hpp"
#include "options.hpp"
