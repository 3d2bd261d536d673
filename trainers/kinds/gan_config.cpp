// The `gan` kind's configuration: trainer keys, models and optimizers, checked at load time
// (trainers/kinds/gan.h), and the DCGAN initialisation.
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "core/config/optimizer_yaml.h"
#include "core/error.h"
#include "core/init.h"
#include "trainers/experiment.h"
#include "trainers/kinds/gan.h"

namespace strata {

namespace {

constexpr float kDcganStd = 0.02f;

Shape shape_from(const std::vector<int64_t>& dims) {
  Shape s;
  switch (dims.size()) {
    case 1:
      s = Shape{dims[0]};
      break;
    case 2:
      s = Shape{dims[0], dims[1]};
      break;
    default:
      s = Shape{dims[0], dims[1], dims[2]};
      break;
  }
  return s;
}

// Reads the latent shape from `latent` or `latent_shape` (nullopt when neither is given).
std::optional<Shape> read_latent(const YamlMap& trainer) {
  const std::optional<YamlValue> flat = trainer.find("latent");
  const std::optional<YamlValue> shaped = trainer.find("latent_shape");
  if (flat && shaped)
    shaped->fail("give either latent (a size) or latent_shape (a list), not both");
  if (flat) return Shape{flat->as_int(IntRange::positive())};
  if (shaped) return shape_from(shaped->as_int_list(IntRange::positive(), 1, 3));
  return std::nullopt;
}

// A factory of optimizers for one section (checked once now, by making one).
std::function<std::unique_ptr<Optimizer>()> optimizer_factory(const YamlMap& section) {
  make_optimizer(section);  // reports errors now, and finishes the section
  return [section] { return make_optimizer(section); };
}

}  // namespace

GanConfig parse_gan_config(const YamlMap& config, const YamlMap& trainer) {
  GanConfig c;
  c.epochs = trainer.get_int("epochs", IntRange::positive());
  const std::optional<Shape> latent = read_latent(trainer);
  c.d_steps = static_cast<int>(trainer.get_int_or("d_steps", 1, {1, 100}));
  c.label_smoothing = trainer.get_float_or("label_smoothing", 0.0f, {0.0, 1.0, false, true});
  c.init = trainer.get_choice_or("init", {"default", "dcgan"}, "default") == "dcgan"
               ? GanInit::kDcgan
               : GanInit::kDefault;
  if (const std::optional<YamlMap> samples = trainer.find_map("samples")) {
    c.sample_count = static_cast<int>(samples->get_int_or("count", 64, {1, 4096}));
    c.sample_columns = static_cast<int>(samples->get_int_or("columns", 8, {1, 256}));
    samples->finish();
  }
  trainer.finish();

  const YamlMap models = config.get_map("models");
  c.generator = parse_model(models.get_map("generator"));
  c.discriminator = parse_model(models.get_map("discriminator"));
  models.finish();

  const bool one = config.has("optimizer"), two = config.has("optimizers");
  if (one && two)
    config.get("optimizers")
        .fail("give either optimizer (for both networks) or optimizers {generator, discriminator}");
  if (two) {
    const YamlMap opts = *config.find_map("optimizers");
    c.make_opt_g = optimizer_factory(opts.get_map("generator"));
    c.make_opt_d = optimizer_factory(opts.get_map("discriminator"));
    opts.finish();
  } else {
    const YamlMap opt = config.get_map("optimizer");
    c.make_opt_g = optimizer_factory(opt);
    c.make_opt_d = c.make_opt_g;
  }

  const Shape g_in = c.generator.input_shape, g_out = c.generator.output_shape();
  const Shape d_in = c.discriminator.input_shape, d_out = c.discriminator.output_shape();
  if (latent && *latent != g_in)
    trainer.fail("the latent vector is " + latent->str() + " but the generator takes " +
                 g_in.str() + " (models.generator.input_shape); make them equal");
  c.latent = g_in;
  if (g_out != d_in)
    models.fail("the generator makes " + g_out.str() + " but the discriminator takes " +
                d_in.str() +
                "; G's output shape must equal D's input_shape (and the data's sample shape)");
  if (d_out.numel() != 1)
    models.fail("the discriminator must give one logit per sample, it gives " + d_out.str() +
                "; end it with {type: dense, units: 1} (no sigmoid: the loss takes logits)");
  return c;
}

std::unique_ptr<TrainerSpec> parse_gan_trainer(const YamlMap& config, const YamlMap& trainer) {
  return std::make_unique<GanSpec>(parse_gan_config(config, trainer));
}

void dcgan_init(Sequential& net, uint64_t seed) {
  STRATA_CHECK(net.built(), "dcgan_init needs a built network");
  // Drawn on the host into a copy of the parameters (the network may live on a device), then
  // copied back whole.
  Tensor host = net.params().to(Device::cpu());
  std::vector<NamedParam>& params = net.named_params();
  size_t p = 0;
  for (int i = 0; i < net.num_layers(); ++i) {
    const int64_t end = net.layer_param_offset(i) + net.layer_param_count(i);
    const char* kind = net.layer(i).kind();
    const bool weighted = !std::strcmp(kind, "conv2d") || !std::strcmp(kind, "conv_transpose2d") ||
                          !std::strcmp(kind, "dense");
    const bool norm = !std::strcmp(kind, "batchnorm");
    for (; p < params.size() && params[p].offset < end; ++p) {
      const NamedParam& np = params[p];
      const bool is_weight = np.name.size() >= 7 && np.name.ends_with(".weight");
      if (!weighted && !norm) continue;  // other layers keep their own initialisation
      Tensor value = Tensor::view(host.data() + np.offset, np.value.shape());
      if (!is_weight) {
        value.fill(0.0f);  // biases, BatchNorm beta
        continue;
      }
      initialize(value, InitSpec{InitSpec::Kind::kNormal, kDcganStd}, seed,
                 static_cast<uint32_t>(p));
      if (norm) {
        float* v = value.data();
        for (int64_t j = 0; j < value.numel(); ++j) v[j] += 1.0f;  // gamma ~ N(1, 0.02)
      }
    }
  }
  copy(net.params(), host);
}

}  // namespace strata
