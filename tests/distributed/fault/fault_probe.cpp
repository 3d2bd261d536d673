// fault_probe: a small data-parallel training loop in which one rank fails on purpose, for
// fault_test.sh. Every rank trains a Dense autoencoder with a GradientReducer (one bucket per
// Dense layer); at step --fail-step, rank --fail-rank fails inside backward, after its later
// layers' buckets are already in flight:
//   throw  a strata::Error (the job must end at once with that rank's message),
//   crash  SIGSEGV (mpirun notices and ends the job),
//   hang   sleeps forever (the other ranks' waits time out after --timeout and they end the job).
// Like the strata CLI, main catches, prints "fault_probe: error: <what>" and calls abort_job(1).
// --print-default-timeout prints the timeout used when --timeout is not given and exits.
//
// --unwind: every rank, not just the first to fail, unwinds and cleans up before the job ends.
// The failing rank's exception and the others' timeouts unwind through the model, the reducer and
// its in-flight buckets (freeing the gradient buffer); then each rank checks that its
// communicator refuses a new collective at once with the first failure (a rank left out of step
// must not have a later collective matched with another rank's unfinished one), prints
//   fault_probe: rank R cleaned up after: <error>
//   fault_probe: rank R later collective refused: <error>
// and waits for the others on a second communicator before abort_job(1).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/layers/activations.h"  // defines: Activation, ActivationKind
#include "core/layers/dense.h"        // defines: Dense, DenseOptions
#include "core/losses/loss.h"         // defines: MSELoss
#include "core/optim/optimizer.h"     // defines: Adam, AdamOptions
#include "core/rng.h"                 // defines: RandomStream
#include "core/sequential.h"
#include "distributed/communicator.h"      // defines: make_communicator, kDefaultCommTimeoutS
#include "distributed/fault.h"             // defines: abort_job
#include "distributed/gradient_reducer.h"  // defines: GradientReducer
#include "distributed/model_sync.h"        // defines: gradient_buffer_of, report_grads_to

namespace {

using namespace strata;

constexpr int64_t kFeatures = 16;
constexpr int64_t kBatch = 8;  // per rank

struct Options {
  int fail_rank = -1;  // none
  int fail_step = 2;
  std::string fault = "throw";
  double timeout_s = kDefaultCommTimeoutS;
  int steps = 5;
  bool print_default_timeout = false;
  bool unwind = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--print-default-timeout") {
      o.print_default_timeout = true;
      continue;
    }
    if (flag == "--unwind") {
      o.unwind = true;
      continue;
    }
    STRATA_CHECK(i + 1 < argc, "fault_probe: " << flag << " needs a value");
    const std::string value = argv[++i];
    if (flag == "--fail-rank") {
      o.fail_rank = std::stoi(value);
    } else if (flag == "--fail-step") {
      o.fail_step = std::stoi(value);
    } else if (flag == "--fault") {
      o.fault = value;
    } else if (flag == "--timeout") {
      o.timeout_s = std::stod(value);
    } else if (flag == "--steps") {
      o.steps = std::stoi(value);
    } else {
      STRATA_THROW("fault_probe: unknown flag " << flag
                                                << "; expected --fail-rank, --fail-step, --fault, "
                                                   "--timeout, --steps, --unwind or "
                                                   "--print-default-timeout");
    }
  }
  STRATA_CHECK(o.fault == "throw" || o.fault == "crash" || o.fault == "hang",
               "fault_probe: --fault must be throw, crash or hang, got '" << o.fault << "'");
  return o;
}

Sequential make_model() {
  Sequential net;
  for (int64_t units : {int64_t{64}, int64_t{64}}) {
    DenseOptions d;
    d.units = units;
    net.add(std::make_unique<Dense>(d));
    net.add(std::make_unique<Activation>(ActivationKind::kReLU));
  }
  DenseOptions d;
  d.units = kFeatures;
  net.add(std::make_unique<Dense>(d));
  net.add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  net.build(Shape{kFeatures}, /*seed=*/7);
  return net;
}

void fail_now(const Options& o, int rank, int step) {
  if (o.fault == "throw") {
    STRATA_THROW("fault_probe: injected failure at step "
                 << step << "; this is the failing rank's message (expected by fault_test.sh)");
  }
  if (o.fault == "crash") std::raise(SIGSEGV);
  std::fprintf(stderr, "fault_probe: rank %d hangs at step %d\n", rank, step);
  std::fflush(stderr);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

void train(const Options& o, Communicator* comm) {
  const int rank = comm->rank();
  Sequential net = make_model();
  // One bucket per Dense layer, summed; the loss gradient is pre-scaled by 1/size as trainers do.
  GradientReducer reducer(*comm, gradient_buffer_of(net), /*bucket_bytes=*/1, ReduceOp::kSum);
  report_grads_to(net, &reducer);
  int step = 0;
  // Runs just before layer 0's backward: the later layers' buckets have been started.
  net.add_output_grad_hook(0, [&](const Tensor&, Tensor&) {
    if (rank == o.fail_rank && step == o.fail_step) fail_now(o, rank, step);
  });
  AdamOptions ao;
  ao.lr = 1e-3f;
  Adam adam(ao);
  MSELoss mse;
  Tensor x(Shape{kBatch, kFeatures}), dy(Shape{kBatch, kFeatures});
  const float inv_size = 1.0f / static_cast<float>(comm->size());
  for (step = 0; step < o.steps; ++step) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      RandomStream rng(7, RngPurpose::kTest, 1, static_cast<uint64_t>(step),
                       static_cast<uint64_t>(rank * x.numel() + i));
      x[i] = rng.uniform();
    }
    StepContext ctx;
    ctx.step = static_cast<uint64_t>(step);
    net.zero_grads();
    mse.forward_backward(net.forward(x, ctx), x, dy);
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] *= inv_size;
    net.backward(dy, ctx, false);
    reducer.finalize();
    adam.step(net.params(), net.grads());
  }
  comm->barrier();
  if (rank == 0) std::printf("fault_probe: %d steps done on %d ranks\n", o.steps, comm->size());
}

}  // namespace

// --unwind: trains, and on a failure checks and reports this rank's clean-up (see the top).
int train_and_unwind(const Options& o) {
  // The second communicator, made first and never used by training, stays in step.
  std::unique_ptr<Communicator> control = make_communicator("auto", 10 * o.timeout_s);
  std::unique_ptr<Communicator> comm = make_communicator("auto", o.timeout_s);
  const int rank = comm->rank();
  try {
    train(o, comm.get());
    return 0;
  } catch (const std::exception& e) {
    // The model, the reducer and their buffers are gone here.
    std::fprintf(stderr, "fault_probe: rank %d cleaned up after: %s\n", rank, e.what());
  }
  std::string refused = "(accepted: the communicator still takes collectives)";
  try {
    float x = 0.0f;
    comm->all_reduce(&x, 1, ReduceOp::kSum);
  } catch (const std::exception& e) {
    refused = e.what();
  }
  std::fprintf(stderr, "fault_probe: rank %d later collective refused: %s\n", rank,
               refused.c_str());
  std::fflush(stderr);
  control->barrier();  // every rank has reported
  return 1;
}

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    if (o.print_default_timeout) {
      std::printf("timeout_s %g\n", o.timeout_s);
      return 0;
    }
    if (o.unwind) {
      if (train_and_unwind(o) != 0) abort_job(1);
      return 0;
    }
    train(o, make_communicator("auto", o.timeout_s).get());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fault_probe: error: %s\n", e.what());
    abort_job(1);
  }
}
