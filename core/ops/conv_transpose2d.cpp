// conv_transpose2d on the CPU, the adjoint of conv2d.cpp: the Conv2D it is the gradient of has
// this layer's outputs as its images (Cout x Ho x Wo) and this layer's input positions (H x W) as
// its columns. Each thread takes whole groups of images:
//   forward        cols[K, cols] = W^T[K, Cin] * x[Cin, cols], then col2im into y (on the bias)
//   weight grad    dW[Cin, K]   += x[Cin, cols] * im2col(dy)^T (per-thread partials, summed after)
//   input grad     dx[Cin, cols] = W[Cin, K] * im2col(dy)
// A 1x1 input without padding (geom.is_dense(): output = kernel; dcgan64's first generator
// layer) is a plain matrix product over the whole batch: y[N, Cout*kh*kw] = x[N, Cin] *
// W[Cin, Cout*kh*kw], plus the bias of each output plane.
#include "core/ops/conv_transpose2d.h"

#include <omp.h>

#include <algorithm>

#include "core/blas.h"
#include "core/error.h"
#include "core/ops/round_operands.h"

namespace strata {

namespace {

// The per-thread scratch (im2col.h): the GEMM's other operand has the input's channels.
ConvScratch layout(const ConvArgs& a) {
  return conv_scratch(a.geom, a.batch, a.channels, a.geom.channels, a.threads);
}

// The fp32 convolution's own workspace.
int64_t fp32_workspace(const ConvArgs& a) {
  if (a.geom.is_dense()) return 0;
  const ConvScratch l = layout(a);
  return l.split.threads * l.slice;
}

// The rounded operands' places after it (conv2d.h): x [N, Cin, H, W], W [Cin, Cout*kh*kw], dy
// [N, Cout, Ho, Wo].
ConvOperandScratch operand_scratch(const ConvArgs& a) {
  const ConvGeometry& g = a.geom;
  return conv_operand_scratch(fp32_workspace(a), a.batch * a.channels * g.plane(),
                              a.channels * g.rows(), a.batch * g.image_size());
}

// `count` values of v rounded to a's precision at `offset` floats into the workspace.
const float* rounded(CpuBackend& be, const ConvArgs& a, const float* v, int64_t count,
                     float* workspace, int64_t offset) {
  STRATA_CHECK(workspace, "conv_transpose2d at " << precision_name(a.precision)
                                                 << " needs its workspace "
                                                    "(conv_transpose2d_workspace)");
  round_operands(be, a.precision, v, workspace + offset, count);
  return workspace + offset;
}

void forward_fp32(const ConvArgs& a, const float* x, const float* w, const float* bias, float* y,
                  float* workspace) {
  const ConvGeometry& geom = a.geom;
  const int64_t n = a.batch, k = geom.rows(), plane = geom.plane(), cin = a.channels;
  const int64_t cout = geom.channels;
  if (geom.is_dense()) {
    const int64_t kk = k / cout;
    gemm(false, false, n, k, cin, 1.0f, x, cin, w, k, 0.0f, y, k);
    if (bias)
      for (int64_t i = 0; i < n; ++i) add_channel_bias(y + i * k, cout, kk, bias);
    return;
  }
  const ConvScratch l = layout(a);
  const int64_t in_size = cin * plane, out_plane = geom.height * geom.width;
  const int64_t out_size = cout * out_plane;
  const int64_t group = l.split.group, groups = l.split.groups(n);
  const int threads = l.split.active_threads(n);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    float* cols = workspace + omp_get_thread_num() * l.slice;
    float* buf = cols + l.off_buf;
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      const float* xg = x + n0 * in_size;  // x of the group as [Cin, count * plane]
      if (count > 1) {
        pack_images(xg, count, cin, plane, buf);
        xg = buf;
      }
      gemm(true, false, k, ld, cin, 1.0f, w, k, xg, ld, 0.0f, cols, ld);
      for (int64_t i = 0; i < count; ++i) {
        float* yi = y + (n0 + i) * out_size;
        fill_channels(yi, cout, out_plane, bias);
        col2im_add(cols + i * plane, ld, geom, yi);
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
  const int64_t n = a.batch, k = geom.rows(), plane = geom.plane(), cin = a.channels;
  const int64_t cout = geom.channels;
  if (geom.is_dense()) {
    const int64_t kk = k / cout;
    if (want_dw) {
      gemm(true, false, cin, k, n, 1.0f, x, cin, dy, k, 1.0f, dw_out, k);
      if (db_out) add_channel_sums(dy_sum, n, cout, kk, db_out);
    }
    if (dx) gemm(false, true, n, cin, k, 1.0f, dy, k, w, k, 0.0f, dx, cin);
    return;
  }
  const ConvScratch l = layout(a);
  const int64_t in_size = cin * plane, out_plane = geom.height * geom.width;
  const int64_t out_size = cout * out_plane;
  const int64_t group = l.split.group, groups = l.split.groups(n);
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
    if (t > 0 && want_dw) std::fill(dw, dw + cin * k, 0.0f);
    if (t > 0 && want_db) std::fill(db, db + cout, 0.0f);
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      const float* dyn = dy + n0 * out_size;
      for (int64_t i = 0; i < count; ++i) im2col(dyn + i * out_size, geom, cols + i * plane, ld);
      if (want_dw) {
        const float* xg = x + n0 * in_size;
        if (count > 1) {
          pack_images(xg, count, cin, plane, buf);
          xg = buf;
        }
        gemm(false, true, cin, k, ld, 1.0f, xg, ld, cols, ld, 1.0f, dw, k);
        if (db) add_channel_sums(dy_sum + n0 * out_size, count, cout, out_plane, db);
      }
      if (dx) {
        float* dxn = dx + n0 * in_size;
        gemm(false, false, cin, ld, k, 1.0f, w, k, cols, ld, 0.0f, count > 1 ? buf : dxn, ld);
        if (count > 1) unpack_images(buf, count, cin, plane, nullptr, dxn);
      }
    }
  }
  if (team > 1 && want_dw) {
    add_partials(dw_out, workspace + l.slice + l.off_dw, team - 1, l.slice, cin * k, team);
    if (want_db) add_partials(db_out, workspace + l.slice + l.off_db, team - 1, l.slice, cout, 1);
  }
}

}  // namespace

int64_t conv_transpose2d_workspace(CpuBackend&, const ConvArgs& a) {
  return a.precision == Precision::kFp32 ? fp32_workspace(a) : operand_scratch(a).floats;
}

void conv_transpose2d_forward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                              const float* bias, float* y, float* workspace) {
  if (a.precision == Precision::kFp32) return forward_fp32(a, x, w, bias, y, workspace);
  const ConvOperandScratch s = operand_scratch(a);
  forward_fp32(a, rounded(be, a, x, a.batch * a.channels * a.geom.plane(), workspace, s.x),
               rounded(be, a, w, a.channels * a.geom.rows(), workspace, s.w), bias, y, workspace);
}

void conv_transpose2d_backward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                               const float* dy, float* dw, float* db, float* dx, float* workspace) {
  if (a.precision == Precision::kFp32 || (!dw && !dx))
    return backward_fp32(a, x, w, dy, dy, dw, db, dx, workspace);
  const ConvOperandScratch s = operand_scratch(a);
  const float* dy_op = rounded(be, a, dy, a.batch * a.geom.image_size(), workspace, s.dy);
  if (dw) x = rounded(be, a, x, a.batch * a.channels * a.geom.plane(), workspace, s.x);
  if (dx) w = rounded(be, a, w, a.channels * a.geom.rows(), workspace, s.w);
  backward_fp32(a, x, w, dy_op, dy, dw, db, dx, workspace);
}

}  // namespace strata
