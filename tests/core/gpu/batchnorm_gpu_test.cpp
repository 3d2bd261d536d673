// The CUDA BatchNorm ops against the CPU ops (batchnorm.cpp) at the benchmark models' shapes and
// edge shapes: train and eval, affine on and off, forward and backward, the synchronised steps
// (alone and over simulated ranks); dgamma and dbeta accumulate; two runs give the same bits; and
// every value is the bits of the kernels run on the CPU (core/ops/kernels/batchnorm.h through the
// host tests' executor), which is what the host tests check against the CPU ops.
//
// Tolerances against the CPU op (tests/core/ops/kernels/batchnorm_cases.h, which the host tests
// measure the same differences with): the CPU adds each sample's S values in float, the GPU every
// value in double, so statistics agree within 1e-5 relative (1e-6 absolute), y and dx within
// 1e-4 relative + 1e-5, sums of m values within 1e-4 relative + 2.5e-7 * sqrt(n) * S + 1e-5;
// eval mode's y and dx and the steps computed from given sums (normalize, dx) exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/batchnorm.h"
#include "core/ops/kernels/batchnorm.h"
#include "core/tensor.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/batchnorm_cases.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using gpu_test::download;
using gpu_test::gpu;
using gpu_test::upload;
// The shapes, inputs, state, executor and tolerances of batchnorm_cases.h; same_bits.
using namespace test;

std::vector<Shape3> all_shapes() {
  std::vector<Shape3> v = edge_shapes();
  for (const Shape3& s : model_shapes()) v.push_back(s);
  return v;
}

// ---- One layer's per-channel buffers on the GPU ----

struct DeviceState {
  Tensor gamma, beta, running_mean, running_var, mean, invstd;
  bool affine;
  explicit DeviceState(const BnState& h)
      : gamma(upload(h.gamma)),
        beta(upload(h.beta)),
        running_mean(upload(h.running_mean)),
        running_var(upload(h.running_var)),
        mean(upload(h.mean)),
        invstd(upload(h.invstd)),
        affine(h.affine) {}
  BatchNormBuffers buffers() { return buffers_of(*this); }
  // The GPU's buffers as a BnState.
  BnState to_host() const {
    BnState h(0, affine, 0);
    h.gamma = download(gamma);
    h.beta = download(beta);
    h.running_mean = download(running_mean);
    h.running_var = download(running_var);
    h.mean = download(mean);
    h.invstd = download(invstd);
    return h;
  }
};

// Copies host values into an existing device tensor.
void set(Tensor& device, const std::vector<float>& host) {
  Tensor h = upload(host);
  copy(device, h);
}

// ---- Local forward and backward ----

class BatchNormGpu : public ::testing::TestWithParam<bool> {};  // affine

TEST_P(BatchNormGpu, EvalModeIsTheCpuOpBitForBit) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = all_shapes();
  shapes.push_back({1, 10, 1});
  for (const Shape3& s : shapes) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::string at = " " + name(s, affine);
    const std::vector<float> x = values(n, 2.0f, 1, 0.5f), dy = values(n, 1.0f, 2);
    BnState cpu(s.C, affine, 3);
    DeviceState dev(cpu);
    std::vector<float> y(n), dx(n), dg(s.C, 0.5f), db(s.C, -0.5f);
    batchnorm_forward(cpu_backend(), a, cpu.buffers(), false, x.data(), y.data());
    batchnorm_backward(cpu_backend(), a, cpu.buffers(), false, x.data(), dy.data(),
                       affine ? dg.data() : nullptr, affine ? db.data() : nullptr, dx.data());

    Tensor gx = upload(x), gdy = upload(dy), gy = gpu_test::device_nan(n),
           gdx = gpu_test::device_nan(n), gdg = upload(std::vector<float>(s.C, 0.5f)),
           gdb = upload(std::vector<float>(s.C, -0.5f));
    batchnorm_forward(gpu(), a, dev.buffers(), false, gx.data(), gy.data());
    batchnorm_backward(gpu(), a, dev.buffers(), false, gx.data(), gdy.data(),
                       affine ? gdg.data() : nullptr, affine ? gdb.data() : nullptr, gdx.data());
    const BnState got = dev.to_host();
    EXPECT_TRUE(same_bits(download(gy), y, "eval y" + at));
    EXPECT_TRUE(same_bits(download(gdx), dx, "eval dx" + at));
    EXPECT_TRUE(same_bits(got.running_mean, cpu.running_mean, "eval leaves running_mean" + at));
    EXPECT_TRUE(same_bits(got.running_var, cpu.running_var, "eval leaves running_var" + at));
    EXPECT_TRUE(same_bits(got.mean, cpu.mean, "eval leaves mean (NaN)" + at));
    EXPECT_TRUE(gpu_test::close(download(gdg), dg, kSumRtol, sum_atol(s), "eval dgamma" + at));
    EXPECT_TRUE(gpu_test::close(download(gdb), db, kSumRtol, sum_atol(s), "eval dbeta" + at));
  }
}

TEST_P(BatchNormGpu, TrainModeMatchesTheCpuOp) {
  const bool affine = GetParam();
  for (const Shape3& s : all_shapes()) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::string at = " " + name(s, affine);
    // An offset mean, so that the two-pass variance matters.
    const std::vector<float> x = values(n, 1.5f, 6, 3.0f), dy = values(n, 1.0f, 7);
    BnState cpu(s.C, affine, 8), mirror(s.C, affine, 8);
    DeviceState dev(cpu);
    std::vector<float> y(n), y_mirror(n);
    batchnorm_forward(cpu_backend(), a, cpu.buffers(), true, x.data(), y.data());
    EmulatedExec hm;
    bn_forward_steps(hm, a, mirror.buffers(), true, x.data(), y_mirror.data());

    Tensor gx = upload(x), gdy = upload(dy), gy = gpu_test::device_nan(n);
    batchnorm_forward(gpu(), a, dev.buffers(), true, gx.data(), gy.data());
    const BnState got = dev.to_host();
    const std::vector<float> gy_host = download(gy);
    expect_statistics_within(got, cpu, at, gpu_test::close);
    EXPECT_TRUE(gpu_test::close(gy_host, y, kValueRtol, kValueAtol, "y" + at));
    EXPECT_TRUE(same_bits(got.mean, mirror.mean, "mean, GPU vs its kernels on the CPU" + at));
    EXPECT_TRUE(same_bits(got.invstd, mirror.invstd, "invstd, GPU vs its kernels on the CPU" + at));
    EXPECT_TRUE(same_bits(got.running_var, mirror.running_var, "running_var, GPU vs kernels" + at));
    EXPECT_TRUE(same_bits(gy_host, y_mirror, "y, GPU vs its kernels on the CPU" + at));

    // The backward from the CPU's statistics, so that only its own sums differ; dgamma and
    // dbeta from 0, then a second backward doubles them exactly.
    set(dev.mean, cpu.mean);
    set(dev.invstd, cpu.invstd);
    mirror.mean = cpu.mean;
    mirror.invstd = cpu.invstd;
    std::vector<float> dx(n), dg(s.C, 0.0f), db(s.C, 0.0f), dx_m(n), dg_m = dg, db_m = db;
    batchnorm_backward(cpu_backend(), a, cpu.buffers(), true, x.data(), dy.data(),
                       affine ? dg.data() : nullptr, affine ? db.data() : nullptr, dx.data());
    bn_backward_steps(hm, a, mirror.buffers(), true, x.data(), dy.data(),
                      affine ? dg_m.data() : nullptr, affine ? db_m.data() : nullptr, dx_m.data());
    Tensor gdx = gpu_test::device_nan(n), gdg = upload(std::vector<float>(s.C, 0.0f)),
           gdb = upload(std::vector<float>(s.C, 0.0f));
    batchnorm_backward(gpu(), a, dev.buffers(), true, gx.data(), gdy.data(),
                       affine ? gdg.data() : nullptr, affine ? gdb.data() : nullptr, gdx.data());
    const std::vector<float> gdx_host = download(gdx), dg1 = download(gdg), db1 = download(gdb);
    EXPECT_TRUE(gpu_test::close(gdx_host, dx, kValueRtol, kValueAtol, "dx" + at));
    EXPECT_TRUE(same_bits(gdx_host, dx_m, "dx, GPU vs its kernels on the CPU" + at));
    if (!affine) continue;
    EXPECT_TRUE(gpu_test::close(dg1, dg, kSumRtol, sum_atol(s), "dgamma" + at));
    EXPECT_TRUE(gpu_test::close(db1, db, kSumRtol, sum_atol(s), "dbeta" + at));
    EXPECT_TRUE(same_bits(dg1, dg_m, "dgamma, GPU vs its kernels on the CPU" + at));
    EXPECT_TRUE(same_bits(db1, db_m, "dbeta, GPU vs its kernels on the CPU" + at));
    batchnorm_backward(gpu(), a, dev.buffers(), true, gx.data(), gdy.data(), gdg.data(), gdb.data(),
                       gdx.data());
    const std::vector<float> dg2 = download(gdg), db2 = download(gdb);
    for (int64_t c = 0; c < s.C; ++c) {
      ASSERT_EQ(dg2[c], 2.0f * dg1[c]) << "dgamma after two backwards, channel " << c << at;
      ASSERT_EQ(db2[c], 2.0f * db1[c]) << "dbeta after two backwards, channel " << c << at;
    }
    EXPECT_TRUE(same_bits(download(gdx), gdx_host, "dx of a second backward" + at));
    // Without dx (a model's first layer): only the parameter gradients, the same sums.
    Tensor gdg0 = upload(std::vector<float>(s.C, 0.0f)),
           gdb0 = upload(std::vector<float>(s.C, 0.0f));
    batchnorm_backward(gpu(), a, dev.buffers(), true, gx.data(), gdy.data(), gdg0.data(),
                       gdb0.data(), nullptr);
    EXPECT_TRUE(same_bits(download(gdg0), dg1, "dgamma without dx" + at));
    EXPECT_TRUE(same_bits(download(gdb0), db1, "dbeta without dx" + at));
  }
}

// ---- The synchronised path ----

// Each step from the CPU's inputs: the sums within tolerance, what is computed from given sums
// bit for bit; the squared deviations overwriting the sums, as the layer calls it.
TEST_P(BatchNormGpu, SyncStepsMatchTheCpuSteps) {
  const bool affine = GetParam();
  for (const Shape3& s : all_shapes()) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S, M = 3 * s.n * s.S + 1;  // as if other ranks
    const std::string at = " " + name(s, affine);
    const std::vector<float> x = values(n, 1.5f, 9, -2.0f), dy = values(n, 1.0f, 10);
    BnState cpu(s.C, affine, 11);
    DeviceState dev(cpu);
    Tensor gx = upload(x), gdy = upload(dy), gbuf = gpu_test::device_nan(2 * s.C);

    std::vector<float> sums(s.C);
    batchnorm_sync_sums(cpu_backend(), a, x.data(), sums.data());
    batchnorm_sync_sums(gpu(), a, gx.data(), gbuf.data());
    const std::vector<float> gsums = download(gbuf);
    EXPECT_TRUE(gpu_test::close(std::vector<float>(gsums.begin(), gsums.begin() + s.C), sums,
                                kStatRtol, sum_atol(s), "sums" + at));

    set(gbuf, [&] {
      std::vector<float> v(2 * s.C, 0.0f);
      std::copy(sums.begin(), sums.end(), v.begin());
      return v;
    }());
    std::vector<float> sq = sums;
    batchnorm_sync_deviations(cpu_backend(), a, M, sq.data(), x.data(), cpu.mean.data(), sq.data());
    batchnorm_sync_deviations(gpu(), a, M, gbuf.data(), gx.data(), dev.mean.data(), gbuf.data());
    EXPECT_TRUE(same_bits(download(dev.mean), cpu.mean, "mean" + at));
    const std::vector<float> gsq = download(gbuf);
    EXPECT_TRUE(gpu_test::close(std::vector<float>(gsq.begin(), gsq.begin() + s.C), sq, kStatRtol,
                                sum_atol(s), "squared deviations" + at));

    Tensor gsq_cpu = upload(sq), gy = gpu_test::device_nan(n);
    std::vector<float> y(n);
    batchnorm_sync_normalize(cpu_backend(), a, M, cpu.buffers(), sq.data(), x.data(), y.data());
    batchnorm_sync_normalize(gpu(), a, M, dev.buffers(), gsq_cpu.data(), gx.data(), gy.data());
    const BnState got = dev.to_host();
    EXPECT_TRUE(same_bits(got.invstd, cpu.invstd, "invstd" + at));
    EXPECT_TRUE(same_bits(got.running_mean, cpu.running_mean, "running_mean" + at));
    EXPECT_TRUE(same_bits(got.running_var, cpu.running_var, "running_var" + at));
    EXPECT_TRUE(same_bits(download(gy), y, "y" + at));

    std::vector<float> g(2 * s.C), dg(s.C, 0.25f), db(s.C, -0.25f);
    Tensor gdg = upload(dg), gdb = upload(db);
    batchnorm_sync_grad_sums(cpu_backend(), a, cpu.buffers(), x.data(), dy.data(),
                             affine ? dg.data() : nullptr, affine ? db.data() : nullptr, g.data());
    batchnorm_sync_grad_sums(gpu(), a, dev.buffers(), gx.data(), gdy.data(),
                             affine ? gdg.data() : nullptr, affine ? gdb.data() : nullptr,
                             gbuf.data());
    EXPECT_TRUE(gpu_test::close(download(gbuf), g, kSumRtol, sum_atol(s), "gradient sums" + at));
    EXPECT_TRUE(gpu_test::close(download(gdg), dg, kSumRtol, sum_atol(s), "dgamma" + at));
    EXPECT_TRUE(gpu_test::close(download(gdb), db, kSumRtol, sum_atol(s), "dbeta" + at));

    Tensor gg_cpu = upload(g), gdx = gpu_test::device_nan(n);
    std::vector<float> dx(n);
    batchnorm_sync_dx(cpu_backend(), a, M, cpu.buffers(), g.data(), x.data(), dy.data(), dx.data());
    batchnorm_sync_dx(gpu(), a, M, dev.buffers(), gg_cpu.data(), gx.data(), gdy.data(), gdx.data());
    EXPECT_TRUE(same_bits(download(gdx), dx, "dx" + at));
  }
}

// Three simulated ranks (uneven splits of the batch, every rank with samples), each on its slice of
// device memory, the cross-rank sums added on the host in rank order: the whole batch's statistics,
// y and dx.
TEST_P(BatchNormGpu, SyncOverRanksMatchesTheWholeBatch) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = {{3, 7, 1}, {5, 100, 1}, {3, 5, 63}};
  for (const Shape3& s : model_shapes()) shapes.push_back(s);
  const int64_t ranks = 3;
  for (const Shape3& s : shapes) {
    const BatchNormArgs whole = args_of(s);
    const int64_t n = s.n * s.C * s.S, M = s.n * s.S, per_sample = s.C * s.S;
    const std::string at = " " + name(s, affine);
    const std::vector<float> x = values(n, 1.5f, 12, 1.0f), dy = values(n, 1.0f, 13);
    BnState cpu(s.C, affine, 14);
    std::vector<float> y(n), dx(n), dg(s.C, 0.0f), db(s.C, 0.0f);
    batchnorm_forward(cpu_backend(), whole, cpu.buffers(), true, x.data(), y.data());
    batchnorm_backward(cpu_backend(), whole, cpu.buffers(), true, x.data(), dy.data(),
                       affine ? dg.data() : nullptr, affine ? db.data() : nullptr, dx.data());

    std::vector<int64_t> first(ranks + 1, 0);
    for (int64_t r = 0; r < ranks; ++r)
      first[r + 1] = first[r] + s.n / ranks + (r < s.n % ranks ? 1 : 0);
    const BnState init(s.C, affine, 14);
    std::vector<DeviceState> state;
    std::vector<Tensor> buf, gdg, gdb;
    for (int64_t r = 0; r < ranks; ++r) {
      state.emplace_back(init);
      buf.push_back(gpu_test::device_nan(2 * s.C));
      gdg.push_back(upload(std::vector<float>(s.C, 0.0f)));
      gdb.push_back(upload(std::vector<float>(s.C, 0.0f)));
    }
    Tensor gx = upload(x), gdy = upload(dy), gy = gpu_test::device_nan(n),
           gdx = gpu_test::device_nan(n);
    auto args_r = [&](int64_t r) {
      BatchNormArgs a = whole;
      a.n = first[r + 1] - first[r];
      return a;
    };
    auto slice = [&](Tensor& t, int64_t r) { return t.data() + first[r] * per_sample; };
    auto cross_rank_sum = [&](int64_t count) {
      std::vector<float> total(2 * s.C, 0.0f);
      for (int64_t r = 0; r < ranks; ++r) {
        const std::vector<float> v = download(buf[r]);
        for (int64_t i = 0; i < count; ++i) total[i] += v[i];
      }
      for (int64_t r = 0; r < ranks; ++r) set(buf[r], total);
    };
    for (int64_t r = 0; r < ranks; ++r)
      batchnorm_sync_sums(gpu(), args_r(r), slice(gx, r), buf[r].data());
    cross_rank_sum(s.C);
    for (int64_t r = 0; r < ranks; ++r)
      batchnorm_sync_deviations(gpu(), args_r(r), M, buf[r].data(), slice(gx, r),
                                state[r].mean.data(), buf[r].data());
    cross_rank_sum(s.C);
    for (int64_t r = 0; r < ranks; ++r)
      batchnorm_sync_normalize(gpu(), args_r(r), M, state[r].buffers(), buf[r].data(), slice(gx, r),
                               slice(gy, r));
    for (int64_t r = 0; r < ranks; ++r)
      batchnorm_sync_grad_sums(gpu(), args_r(r), state[r].buffers(), slice(gx, r), slice(gdy, r),
                               affine ? gdg[r].data() : nullptr, affine ? gdb[r].data() : nullptr,
                               buf[r].data());
    cross_rank_sum(2 * s.C);
    for (int64_t r = 0; r < ranks; ++r)
      batchnorm_sync_dx(gpu(), args_r(r), M, state[r].buffers(), buf[r].data(), slice(gx, r),
                        slice(gdy, r), slice(gdx, r));

    const BnState got = state[0].to_host();
    for (int64_t r = 1; r < ranks; ++r) {
      const BnState other = state[r].to_host();
      EXPECT_TRUE(same_bits(other.mean, got.mean, "mean of rank " + std::to_string(r) + at));
      EXPECT_TRUE(same_bits(other.invstd, got.invstd, "invstd of rank " + std::to_string(r) + at));
      EXPECT_TRUE(same_bits(other.running_var, got.running_var, "running_var of a rank" + at));
    }
    expect_statistics_within(got, cpu, at, gpu_test::close);
    EXPECT_TRUE(gpu_test::close(download(gy), y, kValueRtol, kValueAtol, "y" + at));
    EXPECT_TRUE(gpu_test::close(download(gdx), dx, kValueRtol, kValueAtol, "dx" + at));
    if (affine) {  // the gradient reducer's sum of the ranks' dgamma and dbeta
      std::vector<float> dg_all(s.C, 0.0f), db_all(s.C, 0.0f);
      for (int64_t r = 0; r < ranks; ++r) {
        const std::vector<float> g = download(gdg[r]), b = download(gdb[r]);
        for (int64_t c = 0; c < s.C; ++c) dg_all[c] += g[c], db_all[c] += b[c];
      }
      EXPECT_TRUE(gpu_test::close(dg_all, dg, kSumRtol, sum_atol(s), "dgamma" + at));
      EXPECT_TRUE(gpu_test::close(db_all, db, kSumRtol, sum_atol(s), "dbeta" + at));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Affine, BatchNormGpu, ::testing::Bool(), affine_name);

// ---- Determinism ----

// Two runs of forward and backward (train mode) from the same state give the same bits.
TEST(BatchNormGpuDeterminism, TwoRunsGiveTheSameBits) {
  for (const Shape3& s : {Shape3{128, 64, 1024}, Shape3{256, 6272, 1}, Shape3{3, 5, 63}}) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::vector<float> x = values(n, 1.5f, 15, 0.5f), dy = values(n, 1.0f, 16);
    const BnState init(s.C, true, 17);
    Tensor gx = upload(x), gdy = upload(dy);
    std::vector<std::vector<float>> runs[2];
    for (auto& run : runs) {
      DeviceState dev(init);
      Tensor gy = gpu_test::device_nan(n), gdx = gpu_test::device_nan(n),
             gdg = upload(std::vector<float>(s.C, 0.0f)),
             gdb = upload(std::vector<float>(s.C, 0.0f)), gbuf = gpu_test::device_nan(2 * s.C);
      batchnorm_forward(gpu(), a, dev.buffers(), true, gx.data(), gy.data());
      batchnorm_backward(gpu(), a, dev.buffers(), true, gx.data(), gdy.data(), gdg.data(),
                         gdb.data(), gdx.data());
      batchnorm_sync_sums(gpu(), a, gx.data(), gbuf.data());
      const BnState h = dev.to_host();
      run = {download(gy), download(gdx), download(gdg),  download(gdb), download(gbuf),
             h.mean,       h.invstd,      h.running_mean, h.running_var};
    }
    const char* what[] = {"y",    "dx",     "dgamma",       "dbeta",      "sync sums",
                          "mean", "invstd", "running_mean", "running_var"};
    for (size_t i = 0; i < runs[0].size(); ++i)
      EXPECT_TRUE(same_bits(runs[1][i], runs[0][i], std::string(what[i]) + " " + name(s, true)));
  }
}

}  // namespace
}  // namespace strata
