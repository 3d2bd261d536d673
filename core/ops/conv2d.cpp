// conv2d on the CPU: im2col + GEMM, parallel over groups of images (see im2col.h).
//
// Each thread takes whole groups of images, builds their column matrix cols[Cin*kh*kw,
// group*Ho*Wo] in its own workspace slice and runs single-threaded GEMMs on it (OpenBLAS's OpenMP
// build runs a GEMM called inside a parallel region on the calling thread):
//   forward        y[Cout, cols]  = W[Cout, K] * cols
//   weight grad    dW[Cout, K]   += dy[Cout, cols] * cols^T   (per-thread partials, summed after)
//   input grad     dcols[K, cols] = W^T * dy, then col2im into dx
// A kernel that covers the whole image (geom.is_dense()) is a plain matrix product over the whole
// batch: no columns, one multithreaded GEMM per product.
#include "core/ops/conv2d.h"

#include <omp.h>

#include <algorithm>

#include "core/blas.h"
#include "core/error.h"
#include "core/ops/round_operands.h"

namespace strata {

ConvOperandScratch conv_operand_scratch(int64_t base, int64_t x_count, int64_t w_count,
                                        int64_t dy_count) {
  ConvOperandScratch s;
  s.x = base;
  s.w = s.x + x_count;
  s.dy = s.w + w_count;
  s.floats = s.dy + dy_count;
  return s;
}

namespace {

// The per-thread scratch (im2col.h): the GEMM's other operand has the output's channels.
ConvScratch layout(const ConvArgs& a) {
  return conv_scratch(a.geom, a.batch, a.channels, a.channels, a.threads);
}

// The fp32 convolution's own workspace.
int64_t fp32_workspace(const ConvArgs& a) {
  if (a.geom.is_dense()) return 0;
  const ConvScratch l = layout(a);
  return l.split.threads * l.slice;
}

// The rounded operands' places after it.
ConvOperandScratch operand_scratch(const ConvArgs& a) {
  const ConvGeometry& g = a.geom;
  return conv_operand_scratch(fp32_workspace(a), a.batch * g.image_size(), a.channels * g.rows(),
                              a.batch * a.channels * g.plane());
}

// `count` values of v rounded to a's precision at `offset` floats into the workspace.
const float* rounded(CpuBackend& be, const ConvArgs& a, const float* v, int64_t count,
                     float* workspace, int64_t offset) {
  STRATA_CHECK(workspace, "conv2d at " << precision_name(a.precision)
                                       << " needs its workspace (conv2d_workspace)");
  round_operands(be, a.precision, v, workspace + offset, count);
  return workspace + offset;
}

void forward_fp32(const ConvArgs& a, const float* x, const float* w, const float* bias, float* y,
                  float* workspace) {
  const ConvGeometry& geom = a.geom;
  const int64_t n = a.batch, k = geom.rows(), plane = geom.plane(), cout = a.channels;
  if (geom.is_dense()) {  // y[N, Cout] = x[N, K] * W^T + b, as in Dense
    gemm(false, true, n, cout, k, 1.0f, x, k, w, k, 0.0f, y, cout);
    if (bias)
      for (int64_t i = 0; i < n; ++i) add_channel_bias(y + i * cout, cout, 1, bias);
    return;
  }
  const ConvScratch l = layout(a);
  const int64_t in_size = geom.image_size(), out_size = cout * plane, group = l.split.group;
  const int64_t groups = l.split.groups(n);
  const int threads = l.split.active_threads(n);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    float* cols = workspace + omp_get_thread_num() * l.slice;
    float* buf = cols + l.off_buf;
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      for (int64_t i = 0; i < count; ++i)
        im2col(x + (n0 + i) * in_size, geom, cols + i * plane, ld);
      float* yn = y + n0 * out_size;
      if (count == 1) {
        gemm(false, false, cout, ld, k, 1.0f, w, k, cols, ld, 0.0f, yn, ld);
        if (bias) add_channel_bias(yn, cout, plane, bias);
      } else {
        gemm(false, false, cout, ld, k, 1.0f, w, k, cols, ld, 0.0f, buf, ld);
        unpack_images(buf, count, cout, plane, bias, yn);
      }
    }
  }
}

// dy feeds the products, dy_sum the bias gradient (the same values at fp32).
void backward_fp32(const ConvArgs& a, const float* x, const float* w, const float* dy,
                   const float* dy_sum, float* dw_out, float* db_out, float* dx, float* workspace) {
  const ConvGeometry& geom = a.geom;
  const bool want_dw = dw_out != nullptr;
  if (!want_dw && !dx) return;
  const int64_t n = a.batch, k = geom.rows(), plane = geom.plane(), cout = a.channels;
  if (geom.is_dense()) {
    if (want_dw) {
      gemm(true, false, cout, k, n, 1.0f, dy, cout, x, k, 1.0f, dw_out, k);
      if (db_out) add_channel_sums(dy_sum, n, cout, 1, db_out);
    }
    if (dx) gemm(false, false, n, k, cout, 1.0f, dy, cout, w, k, 0.0f, dx, k);
    return;
  }
  const ConvScratch l = layout(a);
  const int64_t in_size = geom.image_size(), out_size = cout * plane, group = l.split.group;
  const int64_t groups = l.split.groups(n);
  const bool want_db = want_dw && db_out != nullptr;
  const int threads = l.split.active_threads(n);
  int team = 1;  // the threads the runtime actually gave us
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = omp_get_thread_num();
    float* cols = workspace + t * l.slice;
    float* buf = cols + l.off_buf;
    float* dw = t == 0 ? dw_out : cols + l.off_dw;
    float* db = !want_db ? nullptr : t == 0 ? db_out : cols + l.off_db;
    if (t == 0) team = omp_get_num_threads();
    if (t > 0 && want_dw) std::fill(dw, dw + cout * k, 0.0f);
    if (t > 0 && want_db) std::fill(db, db + cout, 0.0f);
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      const float* dyn = dy + n0 * out_size;
      const float* dyn_sum = dy_sum + n0 * out_size;
      const float* g = dyn;  // dy of the group as [Cout, count * plane]
      if (count > 1) {
        pack_images(dyn, count, cout, plane, buf);
        g = buf;
      }
      if (want_dw) {
        for (int64_t i = 0; i < count; ++i)
          im2col(x + (n0 + i) * in_size, geom, cols + i * plane, ld);
        gemm(false, true, cout, k, ld, 1.0f, g, ld, cols, ld, 1.0f, dw, k);
        if (db) add_channel_sums(dyn_sum, count, cout, plane, db);
      }
      if (dx) {
        gemm(true, false, k, ld, cout, 1.0f, w, k, g, ld, 0.0f, cols, ld);
        for (int64_t i = 0; i < count; ++i) {
          float* dxi = dx + (n0 + i) * in_size;
          std::fill(dxi, dxi + in_size, 0.0f);
          col2im_add(cols + i * plane, ld, geom, dxi);
        }
      }
    }
  }
  if (team > 1 && want_dw) {
    add_partials(dw_out, workspace + l.slice + l.off_dw, team - 1, l.slice, cout * k, team);
    if (want_db) add_partials(db_out, workspace + l.slice + l.off_db, team - 1, l.slice, cout, 1);
  }
}

}  // namespace

int64_t conv2d_workspace(CpuBackend&, const ConvArgs& a) {
  return a.precision == Precision::kFp32 ? fp32_workspace(a) : operand_scratch(a).floats;
}

void conv2d_forward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                    const float* bias, float* y, float* workspace) {
  if (a.precision == Precision::kFp32) return forward_fp32(a, x, w, bias, y, workspace);
  const ConvOperandScratch s = operand_scratch(a);
  forward_fp32(a, rounded(be, a, x, a.batch * a.geom.image_size(), workspace, s.x),
               rounded(be, a, w, a.channels * a.geom.rows(), workspace, s.w), bias, y, workspace);
}

void conv2d_backward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                     const float* dy, float* dw, float* db, float* dx, float* workspace) {
  if (a.precision == Precision::kFp32 || (!dw && !dx))
    return backward_fp32(a, x, w, dy, dy, dw, db, dx, workspace);
  const ConvOperandScratch s = operand_scratch(a);
  const float* dy_op = rounded(be, a, dy, a.batch * a.channels * a.geom.plane(), workspace, s.dy);
  if (dw) x = rounded(be, a, x, a.batch * a.geom.image_size(), workspace, s.x);
  if (dx) w = rounded(be, a, w, a.channels * a.geom.rows(), workspace, s.w);
  backward_fp32(a, x, w, dy_op, dy, dw, db, dx, workspace);
}

}  // namespace strata
