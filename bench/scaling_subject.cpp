#include "bench/scaling_subject.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "bench/models.h"
#include "core/error.h"
#include "distributed/local_communicator.h"
#include "distributed/model_sync.h"  // defines: gradient_buffer_of
#include "trainers/experiment.h"
#include "trainers/phase.h"

namespace strata::scaling {

namespace {

// Positions of one sample of `s` ([N, C, spatial...]): 1 for [N, features].
int64_t spatial(const Shape& s) {
  int64_t p = 1;
  for (int d = 2; d < s.rank(); ++d) p *= s[d];
  return p;
}

class BenchSubject final : public ScalingSubject {
 public:
  explicit BenchSubject(const bench::ModelInfo& info) {
    name_ = bench_model_ = info.name;
    batch_ = info.batch;
    if (info.kind == bench::ModelKind::kAutoencoder) {
      kind_ = "autoencoder";
      ae_ = bench::make_autoencoder(info, 1);
      add_net("autoencoder", ae_);
    } else {
      kind_ = "gan";
      gan_ = bench::make_gan(info, 1);
      add_net("discriminator", gan_.d);
      add_net("generator", gan_.g);
    }
  }

 private:
  Sequential ae_;
  bench::Gan gan_;
};

class ConfigSubject final : public ScalingSubject {
 public:
  explicit ConfigSubject(const std::string& path) : experiment_(load_experiment(path)) {
    name_ = path;
    kind_ = experiment_.trainer->kind();
    batch_ = experiment_.batch_size;
    bucket_bytes_ = experiment_.distributed.parallel.bucket_bytes;
    const TrainerContext ctx{.comm = comm_,
                             .seed = experiment_.seed,
                             .batch_size = experiment_.batch_size,
                             .train = nullptr,
                             .test = nullptr,
                             .data = &experiment_.data,
                             .parallel = ParallelOptions{},
                             .device = Device::cpu()};
    trainer_ = experiment_.trainer->build(ctx);
    const auto role = [&](const char* r) -> Sequential& {
      Sequential* n = trainer_->network(r);
      STRATA_CHECK(n != nullptr, path << ": a '" << kind_ << "' run has no " << r << " network");
      return *n;
    };
    if (kind_ == "gan") {
      add_net("discriminator", role("discriminator"));
      add_net("generator", role("generator"));
    } else if (kind_ == "classifier") {
      add_net("classifier", role("classifier"));
    } else {  // autoencoder; stacked_autoencoder: the fine-tuning of the whole stack
      add_net("autoencoder", role("autoencoder"));
    }
  }

 private:
  LocalCommunicator comm_;
  Experiment experiment_;
  std::unique_ptr<Trainer> trainer_;
};

}  // namespace

std::vector<double> layer_work(Sequential& net) {
  Tensor x = Tensor::zeros(batched(1, net.input_sample_shape()));
  StepContext ctx;
  ctx.training = false;
  ctx.backend = &net.backend();
  // Every layer's output is read below: none may be overwritten in place by the next layer.
  for (int i = 0; i < net.num_layers(); ++i) net.keep_activation(i);
  net.forward(x, ctx);
  std::vector<double> work;
  for (int i = 0; i < net.num_layers(); ++i) {
    const Shape& in = i == 0 ? x.shape() : net.activation(i - 1).shape();
    const Shape& out = net.activation(i).shape();
    int64_t params = 0;  // without the flat buffer's alignment padding
    for (const ParamSpec& p : net.layer(i).param_specs()) params += p.shape.numel();
    work.push_back(params > 0 ? static_cast<double>(params) *
                                    static_cast<double>(std::min(spatial(in), spatial(out)))
                              : static_cast<double>(out.sample_numel()));
  }
  return work;
}

std::unique_ptr<ScalingSubject> ScalingSubject::from_model(const std::string& name) {
  return std::make_unique<BenchSubject>(bench::find_model(name));
}

std::unique_ptr<ScalingSubject> ScalingSubject::from_config(const std::string& path) {
  return std::make_unique<ConfigSubject>(path);
}

void ScalingSubject::add_net(const std::string& role, Sequential& net) {
  nets_.push_back(Net{role, &net, layer_work(net)});
}

int64_t ScalingSubject::gradient_bytes() const {
  int64_t floats = 0;
  for (const Net& n : nets_)
    for (int i = 0; i < n.net->num_layers(); ++i) floats += n.net->layer_param_count(i);
  return floats * static_cast<int64_t>(sizeof(float));
}

std::vector<std::vector<GradientReducer::Bucket>> ScalingSubject::reducer_buckets(
    int64_t bucket_bytes) const {
  LocalCommunicator local;
  std::vector<std::vector<GradientReducer::Bucket>> out;
  for (const Net& n : nets_)
    out.push_back(GradientReducer(local, gradient_buffer_of(*n.net), bucket_bytes).buckets());
  return out;
}

StepLayout ScalingSubject::layout(int64_t bucket_bytes) const {
  std::vector<double> fwd;
  for (const Net& n : nets_) fwd.push_back(std::accumulate(n.work.begin(), n.work.end(), 0.0));
  // Shares of the step in units of forward work (see the header).
  std::vector<std::pair<double, double>> before_backward;  // per reduced network
  double total = 0;
  if (kind_ == "gan") {
    const double d = fwd[0], g = fwd[1];
    before_backward = {{g + 4 * d, 2 * d}, {2 * d, 2 * g}};
    total = 3 * g + 8 * d;
  } else {
    before_backward = {{fwd[0], 2 * fwd[0]}};
    total = 3 * fwd[0];
  }
  STRATA_CHECK(total > 0, name_ << ": the networks do no work");
  const std::vector<std::vector<GradientReducer::Bucket>> buckets = reducer_buckets(bucket_bytes);
  StepLayout layout;
  for (size_t k = 0; k < nets_.size(); ++k) {
    const std::vector<double>& w = nets_[k].work;
    // done[i]: backward work finished once layer i's backward has run (backward runs n-1 .. 0).
    std::vector<double> done(w.size() + 1, 0.0);
    for (size_t i = w.size(); i-- > 0;) done[i] = done[i + 1] + w[i];
    Segment s;
    s.before = before_backward[k].first / total;
    s.backward = before_backward[k].second / total;
    for (const GradientReducer::Bucket& b : buckets[k])
      s.buckets.push_back({static_cast<double>(b.count) * sizeof(float),
                           done[0] > 0 ? done[b.first_layer] / done[0] : 1.0});
    layout.segments.push_back(std::move(s));
  }
  return layout;
}

}  // namespace strata::scaling
