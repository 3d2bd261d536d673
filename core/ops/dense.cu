// The CUDA dense op. Forward: one cuBLASLt matmul with the bias and ReLU in its epilogue, as
// planned by plan_dense_forward (dense_plan.h); where cuBLASLt offers no algorithm, one GEMM by
// cuBLAS and DenseEpilogueBody. Backward: two cuBLAS GEMMs (plan_dense_backward) and
// DenseBiasGradBody for db (kernels/dense.h). The types per precision are gemm_precision's
// (dense_plan.h): fp32 is CUBLAS_COMPUTE_32F_PEDANTIC (no TF32; the cuBLAS calls are cublasSgemm
// on the handle's pedantic math), tf32 CUBLAS_COMPUTE_32F_FAST_TF32 on the fp32 operands, bf16
// CUBLAS_COMPUTE_32F on bf16 copies of x, W and dy that the op writes into its workspace
// (ToBf16Body, kernels/precision.h); the cuBLAS calls of tf32 and bf16 are cublasGemmEx with that
// compute type, so the shared handle's math mode is never changed.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "core/cuda/check.h"
#include "core/cuda/handles.h"
#include "core/cuda/launch.cuh"
#include "core/error.h"
#include "core/ops/dense.h"
#include "core/ops/dense_plan.h"
#include "core/ops/kernels/dense.h"
#include "core/ops/round_operands.h"

namespace strata {
namespace {

cublasOperation_t op_of(bool trans) {
  return trans ? CUBLAS_OP_T : CUBLAS_OP_N;
}

cublasLtEpilogue_t lt_epilogue_of(LtEpilogue e) {
  switch (e) {
    case LtEpilogue::kDefault:
      return CUBLASLT_EPILOGUE_DEFAULT;
    case LtEpilogue::kBias:
      return CUBLASLT_EPILOGUE_BIAS;
    case LtEpilogue::kRelu:
      return CUBLASLT_EPILOGUE_RELU;
    case LtEpilogue::kReluBias:
      return CUBLASLT_EPILOGUE_RELU_BIAS;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}

cublasComputeType_t compute_of(GemmCompute c) {
  switch (c) {
    case GemmCompute::k32FPedantic:
      return CUBLAS_COMPUTE_32F_PEDANTIC;
    case GemmCompute::k32F:
      return CUBLAS_COMPUTE_32F;
    case GemmCompute::k32FFastTf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
  }
  return CUBLAS_COMPUTE_32F_PEDANTIC;
}

cudaDataType_t data_of(GemmData t) {
  return t == GemmData::kBf16 ? CUDA_R_16BF : CUDA_R_32F;
}

// C = op(first) op(second) + beta C by cuBLAS (on the backend's stream, set on its handle): fp32
// by cublasSgemm, tf32 and bf16 by cublasGemmEx with gemm_precision's types (at bf16 first and
// second are bf16 copies).
void blas_gemm(const CudaBackend& be, const ColumnMajorGemm& g, float beta, Precision precision) {
  const float alpha = 1.0f;
  if (precision == Precision::kFp32) {
    STRATA_CUBLAS_CHECK(cublasSgemm_64(cuda::cublas_of(be), op_of(g.trans_first),
                                       op_of(g.trans_second), g.m, g.n, g.k, &alpha, g.first,
                                       g.ld_first, g.second, g.ld_second, &beta, g.c, g.ldc));
    return;
  }
  const GemmPrecision gp = gemm_precision(precision);
  STRATA_CUBLAS_CHECK(cublasGemmEx_64(
      cuda::cublas_of(be), op_of(g.trans_first), op_of(g.trans_second), g.m, g.n, g.k, &alpha,
      g.first, data_of(gp.operands), g.ld_first, g.second, data_of(gp.operands), g.ld_second, &beta,
      g.c, data_of(gp.output), g.ldc, compute_of(gp.compute), CUBLAS_GEMM_DEFAULT));
}

template <class T>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value) {
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof(value)));
}

template <class T>
void set_pref(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr,
              const T& value) {
  STRATA_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value)));
}

// The cuBLASLt matmul of one forward shape: its descriptors and the heuristic's best algorithm
// (found false: none, the shape runs by cublasSgemm). Descriptors are host memory; destroying
// them needs no device.
struct LtMatmul {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool found = false;

  LtMatmul() = default;
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;
  ~LtMatmul() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

struct Preference {
  cublasLtMatmulPreference_t p = nullptr;
  Preference() { STRATA_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&p)); }
  Preference(const Preference&) = delete;
  Preference& operator=(const Preference&) = delete;
  ~Preference() { cublasLtMatmulPreferenceDestroy(p); }
};

cublasLtMatrixLayout_t make_layout(const LtLayout& l, GemmData type) {
  cublasLtMatrixLayout_t layout = nullptr;
  STRATA_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(
      &layout, data_of(type), static_cast<uint64_t>(l.rows), static_cast<uint64_t>(l.cols), l.ld));
  return layout;  // column-major (CUBLASLT_ORDER_COL) by default
}

// The matmul of plan p with compute type `compute`, and whether cuBLASLt's heuristic offers an
// algorithm for it (any refusal counts as none: the op then runs by cublasSgemm, and the GPU test
// BenchmarkShapesRunAsOneCublasLtMatmul says so).
std::unique_ptr<LtMatmul> try_lt_matmul(const CudaBackend& be, const LtDensePlan& p,
                                        const GemmPrecision& gp, GemmCompute compute) {
  auto m = std::make_unique<LtMatmul>();
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescCreate(&m->desc, compute_of(compute), data_of(gp.scale)));
  set_desc(m->desc, CUBLASLT_MATMUL_DESC_TRANSA, op_of(p.gemm.trans_first));
  set_desc(m->desc, CUBLASLT_MATMUL_DESC_TRANSB, op_of(p.gemm.trans_second));
  set_desc(m->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, lt_epilogue_of(p.epilogue));
  if (p.bias) {
    set_desc(m->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
             static_cast<int32_t>(data_of(gp.output)));
    // The heuristic reads the pointer's alignment from it.
    set_desc(m->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(p.bias));
  }
  m->a = make_layout(p.a, gp.operands);
  m->b = make_layout(p.b, gp.operands);
  m->d = make_layout(p.d, gp.output);

  Preference pref;
  set_pref(pref.p, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
           static_cast<uint64_t>(CudaBackend::lt_workspace_bytes()));
  // Only algorithms that work at the operands' actual alignment (the default assumes 256 bytes;
  // a layer's tensors are views into one parameter buffer).
  set_pref(pref.p, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, lt_alignment(p.gemm.first));
  set_pref(pref.p, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, lt_alignment(p.gemm.second));
  set_pref(pref.p, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, lt_alignment(p.gemm.c));
  set_pref(pref.p, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, lt_alignment(p.gemm.c));

  cublasLtMatmulHeuristicResult_t result{};
  int count = 0;
  const cublasStatus_t rc = cublasLtMatmulAlgoGetHeuristic(
      cuda::cublaslt_of(be), m->desc, m->a, m->b, m->d, m->d, pref.p, 1, &result, &count);
  m->found = rc == CUBLAS_STATUS_SUCCESS && count > 0 && result.state == CUBLAS_STATUS_SUCCESS &&
             result.workspaceSize <= CudaBackend::lt_workspace_bytes();
  if (m->found) m->algo = result.algo;
  return m;
}

// The matmul at `precision`. fp32 without TF32: the pedantic compute type first, then plain 32F
// (in cuBLASLt only the FAST_TF32 compute type uses TF32).
std::unique_ptr<LtMatmul> make_lt_matmul(const CudaBackend& be, const LtDensePlan& p,
                                         Precision precision) {
  const GemmPrecision gp = gemm_precision(precision);
  std::unique_ptr<LtMatmul> m = try_lt_matmul(be, p, gp, gp.compute);
  if (!m->found && gp.compute == GemmCompute::k32FPedantic)
    m = try_lt_matmul(be, p, gp, GemmCompute::k32F);
  return m;
}

// The matmuls made so far, per cuBLASLt handle (so per device), shape, epilogue and operand
// alignment. Every use holds the mutex: the bias pointer is set on the shared descriptor just
// before the matmul is queued.
using LtKey = std::tuple<const void*, int64_t, int64_t, int64_t, int, int, uint32_t, uint32_t,
                         uint32_t, uint32_t>;

std::mutex& lt_mutex() {
  static std::mutex mu;
  return mu;
}

// The matmul of plan p on be, made on first use. Call with lt_mutex() held.
LtMatmul& lt_matmul_locked(const CudaBackend& be, const DenseDims& dims, const LtDensePlan& p) {
  static std::map<LtKey, std::unique_ptr<LtMatmul>> cache;
  constexpr size_t kMaxEntries = 1024;  // a model has a few shapes; this only bounds misuse
  const LtKey key{be.cublaslt(),
                  dims.batch,
                  dims.in,
                  dims.out,
                  static_cast<int>(dims.precision),
                  static_cast<int>(p.epilogue),
                  lt_alignment(p.gemm.first),
                  lt_alignment(p.gemm.second),
                  lt_alignment(p.gemm.c),
                  p.bias ? lt_alignment(p.bias) : 0u};
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  if (cache.size() >= kMaxEntries) cache.clear();
  return *cache.emplace(key, make_lt_matmul(be, p, dims.precision)).first->second;
}

// Whether cuBLASLt takes the bias (below kLtBiasAlignment the fallback kernel adds it).
bool bias_fusable(const float* b) {
  return !b || lt_alignment(b) >= kLtBiasAlignment;
}

void check_dims(const DenseDims& d) {
  STRATA_CHECK(d.batch >= 0 && d.in >= 0 && d.out >= 0, "dense: negative size (batch "
                                                            << d.batch << ", in " << d.in
                                                            << ", out " << d.out << ")");
}

// The bf16 copy of `count` values of v at `offset` floats into the workspace, as the operand
// pointer the plans take (cuBLAS reads it as CUDA_R_16BF).
const float* bf16_copy(CudaBackend& be, const float* v, int64_t count, float* workspace,
                       int64_t offset) {
  STRATA_CHECK(workspace, "dense at bf16 needs its workspace (dense_workspace)");
  uint16_t* copy = reinterpret_cast<uint16_t*>(workspace + offset);
  to_bf16(be, v, copy, count);
  return reinterpret_cast<const float*>(copy);
}

enum class Requested { kAuto, kLt, kSgemm };

void forward(CudaBackend& be, Requested path, const DenseDims& d, const float* x, const float* w,
             const float* b, float* y, bool relu, float* workspace) {
  check_dims(d);
  if (d.batch == 0 || d.out == 0) return;
  const int64_t n = d.batch * d.out;
  if (d.in == 0) {  // x W^T is zero
    STRATA_CHECK(path != Requested::kLt, "dense: cuBLASLt takes no empty product (in 0)");
    STRATA_CUDA_CHECK(cudaMemsetAsync(y, 0, sizeof(float) * n, cuda::stream_of(be)));
    if (b || relu) STRATA_GRID_STRIDE(be, n, DenseEpilogueBody{b, d.out, relu, y});
    return;
  }
  if (d.precision == Precision::kBf16) {
    const DenseOperandScratch s = dense_operand_scratch(d, 2);
    x = bf16_copy(be, x, d.batch * d.in, workspace, s.x);
    w = bf16_copy(be, w, d.out * d.in, workspace, s.w);
  }
  const LtDensePlan p = plan_dense_forward(d, x, w, b, y, relu);
  if (path != Requested::kSgemm) {
    std::lock_guard<std::mutex> lock(lt_mutex());
    LtMatmul* m = bias_fusable(b) ? &lt_matmul_locked(be, d, p) : nullptr;
    if (m && m->found) {
      if (b) set_desc(m->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(b));
      const float alpha = 1.0f, beta = 0.0f;
      STRATA_CUBLAS_CHECK(cublasLtMatmul(cuda::cublaslt_of(be), m->desc, &alpha, p.gemm.first, m->a,
                                         p.gemm.second, m->b, &beta, p.gemm.c, m->d, p.gemm.c, m->d,
                                         &m->algo, be.lt_workspace(),
                                         CudaBackend::lt_workspace_bytes(), cuda::stream_of(be)));
      return;
    }
    STRATA_CHECK(
        path != Requested::kLt,
        "dense: cuBLASLt cannot run batch "
            << d.batch << ", in " << d.in << ", out " << d.out << ": "
            << (m ? "its heuristic offers no algorithm" : "the bias is not 16-byte aligned"));
  }
  blas_gemm(be, p.gemm, 0.0f, d.precision);
  if (b || relu) STRATA_GRID_STRIDE(be, n, DenseEpilogueBody{b, d.out, relu, y});
}

}  // namespace

int64_t dense_workspace(CudaBackend&, const DenseDims& d) {
  return d.precision == Precision::kBf16 ? dense_operand_scratch(d, 2).floats : 0;
}

void dense_forward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y, float* workspace) {
  forward(be, Requested::kAuto, d, x, w, b, y, false, workspace);
}

void dense_relu_forward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                        const float* b, float* y, float* workspace) {
  forward(be, Requested::kAuto, d, x, w, b, y, true, workspace);
}

DenseCudaPath dense_forward_path(CudaBackend& be, const DenseDims& d, const float* x,
                                 const float* w, const float* b, float* y, bool relu) {
  check_dims(d);
  if (d.batch == 0 || d.in == 0 || d.out == 0 || !bias_fusable(b)) return DenseCudaPath::kSgemm;
  const LtDensePlan p = plan_dense_forward(d, x, w, b, y, relu);
  std::lock_guard<std::mutex> lock(lt_mutex());
  return lt_matmul_locked(be, d, p).found ? DenseCudaPath::kLt : DenseCudaPath::kSgemm;
}

void dense_forward_by(CudaBackend& be, DenseCudaPath path, const DenseDims& d, const float* x,
                      const float* w, const float* b, float* y, bool relu, float* workspace) {
  forward(be, path == DenseCudaPath::kLt ? Requested::kLt : Requested::kSgemm, d, x, w, b, y, relu,
          workspace);
}

void dense_backward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx, float* workspace) {
  check_dims(d);
  if (d.batch == 0 || d.in == 0 || d.out == 0) {
    // dW and db gain nothing; dx = dy W is zero when W has no rows.
    if (dx && d.batch > 0 && d.in > 0)
      STRATA_CUDA_CHECK(
          cudaMemsetAsync(dx, 0, sizeof(float) * d.batch * d.in, cuda::stream_of(be)));
    return;
  }
  // The products' operands (bf16 copies at bf16); db sums the fp32 dy.
  const float* dy_op = dy;
  if (d.precision == Precision::kBf16 && (dw || dx)) {
    const DenseOperandScratch s = dense_operand_scratch(d, 2);
    dy_op = bf16_copy(be, dy, d.batch * d.out, workspace, s.dy);
    if (dw) x = bf16_copy(be, x, d.batch * d.in, workspace, s.x);
    if (dx) w = bf16_copy(be, w, d.out * d.in, workspace, s.w);
  }
  const DenseBackwardPlan p = plan_dense_backward(d, x, w, dy_op, dw, dx);
  if (dw) blas_gemm(be, p.dw.gemm, p.dw.beta, d.precision);
  if (db) STRATA_GRID_STRIDE(be, d.out, DenseBiasGradBody{dy, d.batch, d.out, db});
  if (dx) blas_gemm(be, p.dx.gemm, p.dx.beta, d.precision);
}

}  // namespace strata
