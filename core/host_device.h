// STRATA_HD marks a function that is compiled for both the host and a CUDA device: the kernel
// bodies and helpers that CUDA ops share with the CPU, so that the CPU tests run the very code a
// GPU runs. Outside nvcc it expands to nothing.
#pragma once

#if defined(__CUDACC__)
#define STRATA_HD __host__ __device__
#else
#define STRATA_HD
#endif
