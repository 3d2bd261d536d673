// strata sample: images from a trained GAN's generator, as a PNG grid or as an HDF5 shard.
//
//   strata sample --checkpoint PATH|RUN_DIR --out grid.png|images.h5 [--count 64] [--columns 8]
//                 [--seed N] [--device auto|cpu|cuda]
//
// The latent vectors are those of the training run's sample grids (the run's seed, stream
// kLatentSampleGrid), so that `strata sample` on a run folder redraws the run's last grid;
// --seed N draws others. A .h5 output is a Strata shard of uint8 NHWC images (no labels), which
// `strata data inspect` and the reader take like any data set.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/data/shard_writer.h"
#include "core/error.h"
#include "trainers/eval/load_run.h"
#include "trainers/gan_step.h"
#include "trainers/kinds/gan.h"
#include "trainers/plot/png_grid.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Draws images from a trained GAN's generator: a PNG grid, or an HDF5 shard of uint8 images.\n"
    "The latent vectors are those of the run's sample grids (so a run folder redraws its last\n"
    "grid); --seed draws others.";

// images [n, C, H, W] in `scale` -> a uint8 NHWC shard.
void write_shard(const std::string& path, const Tensor& images, PixelScale scale) {
  STRATA_CHECK(images.rank() == 4, "the generator makes " << images.shape().str()
                                                          << "; an .h5 output needs images "
                                                             "[C, H, W] (write a .png instead)");
  const int64_t n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
  std::vector<uint8_t> pixels(static_cast<size_t>(n * c * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const float v = images[((i * c + ch) * h + y) * w + x];
          float raw = scale == PixelScale::kSymmetric ? (v + 1.0f) * 127.5f
                      : scale == PixelScale::kUnit    ? v * 255.0f
                                                      : v;
          raw = std::fmin(255.0f, std::fmax(0.0f, std::nearbyint(raw)));
          pixels[static_cast<size_t>(((i * h + y) * w + x) * c + ch)] = static_cast<uint8_t>(raw);
        }
  ShardWriterOptions o;
  o.channels = c;
  o.height = h;
  o.width = w;
  ShardWriter writer(path, n, o);
  writer.append(pixels.data(), nullptr, n);
  writer.finish();
}

}  // namespace

int run_sample(const Args& args) {
  std::string checkpoint, out, device;
  int64_t count = 64, columns = 8, seed_flag = 0;
  FlagParser app("strata sample", kDescription);
  add_checkpoint_flag(app, checkpoint);
  add_device_flag(app, device);
  app.add_option("--out", out, "a .png (a grid) or an .h5 (a shard)")
      ->type_name("grid.png|images.h5")
      ->required();
  app.add_option("--count", count, "images to draw")->check(int_range(1))->capture_default_str();
  app.add_option("--columns", columns, "images per row of the grid")
      ->check(int_range(1))
      ->capture_default_str();
  const CLI::Option* seed_opt =
      app.add_option("--seed", seed_flag, "the latent vectors' seed (default: the run's)")
          ->check(int_range(0));
  if (!parse_flags(app, args)) return 0;
  const bool png = out.ends_with(".png"), h5 = out.ends_with(".h5");
  STRATA_CHECK(png || h5, "--out '" << out << "': give a .png (a grid) or an .h5 (a shard)");

  const std::unique_ptr<LoadedRun> run = load_run(checkpoint, "", false, device);
  Sequential& g = run->network("generator");
  const uint64_t seed = seed_opt->count() > 0 ? static_cast<uint64_t>(seed_flag) : run->meta.seed;
  const Tensor images = generate_images(g, seed, kLatentSampleGrid, 0, count);
  const PixelScale scale = run->scale();
  if (png) {
    GridOptions o;
    o.columns = static_cast<int>(columns);
    o.low = scale == PixelScale::kSymmetric ? -1.0f : 0.0f;
    o.high = scale == PixelScale::kNone ? 255.0f : 1.0f;
    write_png_grid(out, images, o);
  } else {
    write_shard(out, images, scale);
  }
  std::printf("wrote %lld samples of %s from %s (step %lld, seed %llu) to %s\n",
              static_cast<long long>(count), g.output_sample_shape().str().c_str(),
              run->checkpoint.c_str(), static_cast<long long>(run->meta.pos.global_step),
              static_cast<unsigned long long>(seed), out.c_str());
  std::printf(
      "{\"command\": \"sample\", \"checkpoint\": %s, \"step\": %lld, \"count\": %lld, "
      "\"seed\": %llu, \"out\": %s}\n",
      json_quote(run->checkpoint).c_str(), static_cast<long long>(run->meta.pos.global_step),
      static_cast<long long>(count), static_cast<unsigned long long>(seed),
      json_quote(out).c_str());
  return 0;
}

}  // namespace strata::cli
