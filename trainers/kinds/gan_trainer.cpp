// The `gan` trainer kind at run time: its two networks, optimizers and the one phase, "gan"
// (trainers/kinds/gan.h).
#include <algorithm>
#include <memory>
#include <string>

#include "core/error.h"
#include "trainers/kinds/gan.h"
#include "trainers/plot/png_grid.h"

namespace strata {

Tensor generate_images(Sequential& g, uint64_t seed, uint32_t index, int64_t first, int64_t count,
                       int64_t batch) {
  STRATA_CHECK(count > 0 && batch > 0, "generate_images: count " << count << ", batch " << batch);
  const Shape out_sample = g.output_sample_shape();
  const int64_t per = out_sample.numel();
  Tensor out(batched(count, out_sample));  // on the host
  Tensor z(batched(1, g.input_sample_shape()), g.device());
  StepContext ctx;
  ctx.training = false;
  ctx.param_grads = false;
  ctx.seed = seed;
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(batch, count - done);
    draw_latents(z, g.input_sample_shape(), n, seed, index, 0, first + done);
    const Tensor& y = g.forward(z, ctx);
    Tensor rows = Tensor::view(out.data() + done * per, y.shape());
    copy(rows, y);  // to the host
    done += n;
  }
  return out;
}

std::unique_ptr<Trainer> GanSpec::build(const TrainerContext& ctx) const {
  if (ctx.train != nullptr) {
    const DatasetInfo& d = *ctx.train;
    const Shape data{d.channels, d.height, d.width};
    STRATA_CHECK(data == c_.discriminator.input_shape,
                 "the training images are " << data.str() << " but the discriminator takes "
                                            << c_.discriminator.input_shape.str()
                                            << " and the generator makes "
                                            << c_.generator.output_shape().str()
                                            << "; change the models' shapes to the data's");
  }
  return std::make_unique<GanTrainer>(c_, ctx);
}

GanTrainer::GanTrainer(const GanConfig& config, const TrainerContext& ctx)
    : c_(config),
      seed_(ctx.seed),
      g_(config.generator.build(ctx.seed, ctx.device)),
      d_(config.discriminator.build(ctx.seed + 1, ctx.device)),
      opt_g_(config.make_opt_g()),
      opt_d_(config.make_opt_d()),
      phase_(*this) {
  g_.set_precision(ctx.precision);
  d_.set_precision(ctx.precision);
  if (c_.init == GanInit::kDcgan) {
    dcgan_init(g_, ctx.seed);
    dcgan_init(d_, ctx.seed + 1);
  }
  pg_ = std::make_unique<ParallelNet>(g_, ctx.comm, ctx.parallel);
  pd_ = std::make_unique<ParallelNet>(d_, ctx.comm, ctx.parallel);
  step_ = std::make_unique<GanStep>(*pg_, *pd_, *opt_g_, *opt_d_, c_.latent, ctx.seed, c_.d_steps);
  step_->set_label_smoothing(c_.label_smoothing);
}

GanTrainer::~GanTrainer() = default;

void GanTrainer::register_state(StateRegistry& state) {
  state.add_network("generator", g_);
  state.add_network("discriminator", d_);
  state.add_optimizer("generator", *opt_g_, g_.device());
  state.add_optimizer("discriminator", *opt_d_, d_.device());
}

Sequential* GanTrainer::network(const std::string& role) {
  if (role == "generator") return &g_;
  if (role == "discriminator") return &d_;
  return nullptr;
}

Tensor GanTrainer::sample_grid_images() {
  return generate_images(g_, seed_, kLatentSampleGrid, 0, c_.sample_count);
}

int64_t GanPhase::epochs() const {
  return t_.config().epochs;
}

std::vector<Optimizer*> GanPhase::optimizers() {
  return {&t_.opt_g(), &t_.opt_d()};
}

const StepValues& GanPhase::step(const Batch& batch, const BatchPosition& pos) {
  GanStep& s = t_.gan_step();
  const Shape d_in = t_.discriminator().input_sample_shape();
  STRATA_CHECK(batch.images.numel() == batch.size * d_in.numel(),
               "a batch of " << batch.images.shape().str() << " does not fit the discriminator's "
                             << d_in.str());
  const Tensor real = batch.images.reshaped(batched(batch.size, d_in));
  // D's values are logged as their means over the k D steps (GanStep's layout).
  const int k = t_.config().d_steps;
  for (int j = 0; j < k; ++j) s.d_step(real, pos, j);
  s.g_step();
  return s.values();
}

void GanPhase::write_samples(const std::string& samples_dir, const std::string& tag) {
  GridOptions o;
  o.columns = t_.config().sample_columns;
  o.low = -1.0f;
  o.high = 1.0f;
  write_png_grid(samples_dir + "/" + tag + ".png", t_.sample_grid_images(), o);
}

}  // namespace strata
