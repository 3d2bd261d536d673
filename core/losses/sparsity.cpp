// Sparsity penalties (core/ops/sparsity.h) on one layer's activations a[N, J...]: checks, the
// mean activations (over the global batch with a CrossRankSum), and the ops.
// With a CrossRankSum, rh_j is the mean over the global batch of all ranks: this rank's column
// sums are summed over ranks and divided by the step's global batch size, which every rank knows,
// so only the J sums travel. The w / N of the gradient stays this rank's n: the trainer scales it
// by n / N_global.
#include "core/losses/penalties.h"

#include "core/error.h"
#include "core/ops/sparsity.h"

namespace strata {

namespace {

// Samples N and units J of an activation tensor, batch first.
void dims(const Tensor& a, int64_t& n, int64_t& j) {
  STRATA_CHECK(a.rank() >= 1 && a.dim(0) > 0 && a.numel() > 0,
               "sparsity: activations must be [N, ...] with N > 0, got " << a.shape().str());
  n = a.dim(0);
  j = a.numel() / n;
}

void check_rho(const SparsityOptions& o) {
  STRATA_CHECK(o.rho > 0.0f && o.rho < 1.0f,
               "sparsity: the KL target rate rho must lie in (0, 1), got " << o.rho);
}

// Every rank has the same global batch, so with a cross-rank sum all ranks throw here together
// and none waits in the sum.
void check_global_batch(const CrossRankSum* sum, int64_t n, int64_t global_batch) {
  STRATA_CHECK(sum == nullptr || global_batch > 0,
               "sparsity over several ranks needs the step's global batch size (the samples of "
               "all ranks), got 0 (this rank's batch "
                   << n << ")");
  STRATA_CHECK(global_batch == 0 || global_batch >= n,
               "sparsity: this rank's batch of " << n << " samples does not fit a global batch of "
                                                 << global_batch);
}

}  // namespace

void SparsityPenalty::means(const Tensor& a, int64_t n, int64_t j, int64_t global_batch) {
  if (!(rho_hat_.device() == a.device()))
    rho_hat_ = Tensor(Shape{j}, a.device());
  else if (rho_hat_.numel() != j)
    rho_hat_.resize(Shape{j});
  Backend& backend = backend_for(a.device());
  float* rh = rho_hat_.data();
  if (sum_ == nullptr) {
    dispatch(backend, [&](auto& be) { sparsity_column_means(be, n, j, a.data(), rh); });
    return;
  }
  dispatch(backend, [&](auto& be) { sparsity_column_sums(be, n, j, a.data(), rh); });
  sum_->sum(rh, j);
  dispatch(backend, [&](auto& be) { sparsity_means_from_sums(be, j, global_batch, rh); });
}

float SparsityPenalty::value(const Tensor& a, int64_t global_batch) {
  value_to(a, global_batch, value_.on(a.device()));
  return value_.get();
}

void SparsityPenalty::value_to(const Tensor& a, int64_t global_batch, float* out) {
  int64_t n = 0, j = 0;
  dims(a, n, j);
  check_global_batch(sum_, n, global_batch);
  const SparsityArgs args{n, j, o_.rho, o_.weight};
  if (o_.kind == SparsityOptions::Kind::kL1) {
    dispatch(backend_for(a.device()),
             [&](auto& be) { sparsity_l1_value(be, args, a.data(), out); });
    return;
  }
  check_rho(o_);
  means(a, n, j, global_batch);
  dispatch(backend_for(a.device()),
           [&](auto& be) { sparsity_kl_value(be, args, rho_hat_.data(), out); });
}

void SparsityPenalty::add_grad(const Tensor& a, Tensor& da, int64_t global_batch) {
  int64_t n = 0, j = 0;
  dims(a, n, j);
  STRATA_CHECK(da.numel() == a.numel(), "sparsity: gradient " << da.shape().str()
                                                              << " does not match activations "
                                                              << a.shape().str());
  check_global_batch(sum_, n, global_batch);
  const SparsityArgs args{n, j, o_.rho, o_.weight};
  if (o_.kind == SparsityOptions::Kind::kL1) {
    dispatch(backend_for(a.device()),
             [&](auto& be) { sparsity_l1_add_grad(be, args, a.data(), da.data()); });
    return;
  }
  check_rho(o_);
  means(a, n, j, global_batch);
  dispatch(backend_for(a.device()),
           [&](auto& be) { sparsity_kl_add_grad(be, args, rho_hat_.data(), da.data()); });
}

void SparsityPenalty::attach(Sequential& model, int layer) {
  // The hook keeps a pointer to this penalty: it must outlive the model's backward passes.
  model.add_output_grad_hook(layer, [this](const Tensor& y, Tensor& dy) { add_grad(y, dy, 0); });
}

}  // namespace strata
