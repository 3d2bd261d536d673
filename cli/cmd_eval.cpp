// strata eval: one figure of merit of a trained run on a data set.
//
//   strata eval --checkpoint PATH|RUN_DIR --data PATH|GLOB [--classifier PATH|RUN_DIR]
//               [--count N] [--batch 256] [--weights trained|initial] [--device auto|cpu|cuda]
// --weights initial evaluates the run's networks as built from its seed, before any step (the
// baseline: e.g. the untrained generator's Frechet distance).
//
// By the networks the checkpoint's kind has: an autoencoder ("autoencoder") gives the mean
// squared reconstruction error, a classifier ("classifier") its accuracy, a GAN ("generator") the
// Frechet distance between --count real images of --data and as many generated ones, on the
// features of the classifier checkpoint given with --classifier (trainers/eval/frechet.h).
// Pixels are scaled as each run trained: generated images are mapped to the classifier's scale.
// Prints one result line, then the same as one JSON line.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/error.h"
#include "trainers/eval/features.h"
#include "trainers/eval/frechet.h"
#include "trainers/eval/load_run.h"
#include "trainers/gan_step.h"
#include "trainers/kinds/gan.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Evaluates a checkpoint on a data set and prints one result line, then the same as JSON.\n"
    "Autoencoders: reconstruction MSE; classifiers: accuracy; GANs: the Frechet distance\n"
    "between N real and N generated images on the features of --classifier.";

// The flags of `strata eval`.
struct EvalFlags {
  std::string checkpoint, data, classifier, weights = "trained";
  std::string device;  // "": each run's own device key
  int64_t count = 0;   // 0: not given
  int64_t batch = 256;
};

void report(const LoadedRun& run, const std::string& metric, double value, int64_t count,
            const std::string& detail) {
  std::printf("%s %.6g over %lld samples (%s, %s step %lld)%s\n", metric.c_str(), value,
              static_cast<long long>(count), run.kind().c_str(), run.checkpoint.c_str(),
              static_cast<long long>(run.meta.pos.global_step), detail.c_str());
  std::printf(
      "{\"command\": \"eval\", \"kind\": %s, \"checkpoint\": %s, \"step\": %lld, \"metric\": %s, "
      "\"value\": %.9g, \"count\": %lld}\n",
      json_quote(run.kind()).c_str(), json_quote(run.checkpoint).c_str(),
      static_cast<long long>(run.meta.pos.global_step), json_quote(metric).c_str(), value,
      static_cast<long long>(count));
}

// The Frechet distance of the GAN in `run` against the real images of run.data.
int eval_gan(const LoadedRun& run, const EvalFlags& flags) {
  STRATA_CHECK(!flags.classifier.empty(),
               "a GAN is evaluated on the features of a classifier: give --classifier with a "
               "checkpoint of a classifier run (e.g. configs/fashion_fid_classifier.yaml)");
  const int64_t batch = flags.batch;
  const DatasetInfo& data = *run.data;
  const std::unique_ptr<LoadedRun> clf_run =
      load_run(flags.classifier, flags.data, false, flags.device);
  Sequential& clf = clf_run->network("classifier");
  check_sample_size(clf, data, "classifier");
  const PixelScale clf_scale = clf_run->scale();
  const int64_t count = std::min(flags.count > 0 ? flags.count : 10000, data.total);
  STRATA_CHECK(count >= 2, "the Frechet distance needs at least 2 images, got " << count);

  const int64_t dim = feature_dim(clf);
  FeatureStats real(dim), fake(dim);
  for_each_batch(data, clf_scale, count, batch,
                 [&](const Tensor& x, const Tensor&) { add_features(clf, x, real); });
  Sequential& g = run.network("generator");
  for (int64_t done = 0; done < count;) {
    const int64_t n = std::min(batch, count - done);
    Tensor images = generate_images(g, run.meta.seed, kLatentEval, done, n, batch);
    rescale(images, run.scale(), clf_scale);
    add_features(clf, images, fake);
    done += n;
  }
  const double fd = frechet_distance(real, fake);
  report(run, "frechet_distance", fd, count,
         "; " + std::to_string(dim) + "-d features of " + clf_run->checkpoint);
  return 0;
}

}  // namespace

int run_eval(const Args& args) {
  EvalFlags flags;
  FlagParser app("strata eval", kDescription);
  add_checkpoint_flag(app, flags.checkpoint);
  add_data_flag(app, flags.data);
  add_device_flag(app, flags.device);
  app.add_option("--classifier", flags.classifier,
                 "GANs: the classifier run whose features the Frechet distance compares")
      ->type_name("PATH|RUN_DIR");
  app.add_option("--count", flags.count,
                 "samples to evaluate (default: all; GANs: 10000 or the data's size)")
      ->check(int_range(1));
  app.add_option("--batch", flags.batch, "samples per forward pass")
      ->check(int_range(1))
      ->capture_default_str();
  app.add_option("--weights", flags.weights,
                 "initial: the networks as built from the run's seed, before any step (the "
                 "baseline)")
      ->check(CLI::IsMember({"trained", "initial"}))
      ->capture_default_str();
  if (!parse_flags(app, args)) return 0;
  const int64_t batch = flags.batch;
  const std::unique_ptr<LoadedRun> run =
      load_run(flags.checkpoint, flags.data, flags.weights == "initial", flags.device);
  if (run->find_network("generator") != nullptr) return eval_gan(*run, flags);
  STRATA_CHECK(flags.classifier.empty(), "--classifier applies to GAN checkpoints only; "
                                             << run->checkpoint << " is a '" << run->kind()
                                             << "' run");
  const int64_t count = flags.count;  // 0: all
  if (Sequential* ae = run->find_network("autoencoder")) {
    const EvalResult r = reconstruction_mse(*ae, *run->data, run->scale(), count, batch);
    report(*run, "reconstruction_mse", r.value, r.count, "");
    return 0;
  }
  if (Sequential* clf = run->find_network("classifier")) {
    const EvalResult r = accuracy(*clf, *run->data, run->scale(), count, batch);
    report(*run, "accuracy", r.value, r.count, "");
    return 0;
  }
  STRATA_THROW("the checkpoint " << run->checkpoint << " is of a '" << run->kind()
                                 << "' run, which has no autoencoder, classifier or generator "
                                    "network to evaluate");
}

}  // namespace strata::cli
