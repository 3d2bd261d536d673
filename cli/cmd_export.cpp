// strata export: one network of a trained run as an ONNX model (docs/export.md).
//
//   strata export --checkpoint PATH|RUN_DIR
//                 --part encoder|decoder|autoencoder|generator|discriminator|classifier
//                 --out FILE.onnx
//
// The run is rebuilt on the CPU from its checkpoint (trainers/eval/load_run.h), whatever device
// trained it, and the part's layers become an ONNX graph of opset kOnnxOpset with the trained
// weights (cli/onnx_export.h). Parts that take images (encoder, autoencoder, classifier,
// discriminator) take raw pixel values 0..255 and scale them in the graph as the run did; the
// decoder takes codes and the generator latent vectors as the networks do. The model passes the
// ONNX checker, then is written to "<out>.tmp-<pid>" and renamed into place.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "trainers/eval/load_run.h"
#if STRATA_WITH_ONNX
#include "cli/onnx_export.h"
#endif

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Writes one network of a trained run as an ONNX model (opset 17) with its trained weights:\n"
    "input \"input\" [batch, ...], output \"output\" [batch, ...]. Image parts take pixel\n"
    "values 0..255 and scale them as the run did (docs/export.md).";

const std::vector<std::string> kParts = {"encoder",   "decoder",       "autoencoder",
                                         "generator", "discriminator", "classifier"};

#if STRATA_WITH_ONNX
const char* scale_name(PixelScale s) {
  return s == PixelScale::kUnit ? "unit" : s == PixelScale::kSymmetric ? "symmetric" : "none";
}

std::string shape_str(const std::string& batch, const Shape& sample) {
  std::string s = "[" + batch;
  for (int i = 0; i < sample.rank(); ++i) s += ", " + std::to_string(sample[i]);
  return s + "]";
}

void write_bytes(const std::string& out, const std::string& bytes) {
  AtomicFile file(out);
  {
    std::ofstream os(file.temp_path(), std::ios::binary | std::ios::trunc);
    STRATA_CHECK(os.good(), "cannot write " << out << ": " << std::strerror(errno)
                                            << " (does the folder exist and is it writable?)");
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    os.close();
    STRATA_CHECK(!os.fail(), "cannot write " << out << ": " << std::strerror(errno));
  }
  file.commit();
}
#endif

}  // namespace

int run_export(const Args& args) {
  std::string checkpoint, part, out;
  FlagParser app("strata export", kDescription);
  add_checkpoint_flag(app, checkpoint);
  app.add_option("--part", part, "the network to export")->check(CLI::IsMember(kParts))->required();
  app.add_option("--out", out, "the ONNX file to write")->type_name("FILE.onnx")->required();
  if (!parse_flags(app, args)) return 0;
#if STRATA_WITH_ONNX
  const std::unique_ptr<LoadedRun> run = load_run(checkpoint, "", false, "cpu");
  Sequential* net = run->find_network(part);
  int first_layer = 0;
  if (net == nullptr && part == "decoder") {
    // A stacked autoencoder's decoder: its autoencoder's layers after those of its encoder.
    Sequential* enc = run->find_network("encoder");
    Sequential* ae = run->find_network("autoencoder");
    if (enc != nullptr && ae != nullptr && enc->num_layers() < ae->num_layers()) {
      bool prefix = true;
      for (int i = 0; i < enc->num_layers(); ++i)
        prefix = prefix && enc->layer_name(i) == ae->layer_name(i);
      if (prefix) {
        net = ae;
        first_layer = enc->num_layers();
      }
    }
  }
  if (net == nullptr) {
    std::string has;
    for (const std::string& p : kParts)
      if (run->find_network(p) ||
          (p == "decoder" && run->find_network("encoder") && run->find_network("autoencoder")))
        has += (has.empty() ? "" : ", ") + p;
    STRATA_THROW("the checkpoint " << run->checkpoint << " is of a '" << run->kind()
                                   << "' run, which has no " << part
                                   << " network; its parts: " << (has.empty() ? "none" : has));
  }
  OnnxExportOptions o;
  o.graph_name = part;
  o.scale_input =
      part == "encoder" || part == "autoencoder" || part == "classifier" || part == "discriminator";
  o.scale = run->scale();
  o.first_layer = first_layer;
  o.metadata = {{"strata.kind", run->kind()},
                {"strata.part", part},
                {"strata.step", std::to_string(run->meta.pos.global_step)},
                {"strata.scale", scale_name(o.scale)}};
  const std::string bytes = export_onnx(*net, o);
  write_bytes(out, bytes);
  const std::string input =
      o.scale_input ? std::string("pixels 0..255 (scaled ") + scale_name(o.scale) + " in the graph)"
                    : "as the network takes it";
  std::printf(
      "wrote the %s of %s (step %lld) to %s: input %s %s, output %s, ONNX opset %lld\n",
      part.c_str(), run->checkpoint.c_str(), static_cast<long long>(run->meta.pos.global_step),
      out.c_str(),
      shape_str("batch", first_layer == 0 ? net->input_sample_shape()
                                          : run->find_network("encoder")->output_sample_shape())
          .c_str(),
      input.c_str(), shape_str("batch", net->output_sample_shape()).c_str(),
      static_cast<long long>(kOnnxOpset));
  std::printf(
      "{\"command\": \"export\", \"checkpoint\": %s, \"step\": %lld, \"part\": %s, \"out\": %s, "
      "\"bytes\": %zu}\n",
      json_quote(run->checkpoint).c_str(), static_cast<long long>(run->meta.pos.global_step),
      json_quote(part).c_str(), json_quote(out).c_str(), bytes.size());
  return 0;
#else
  STRATA_THROW(
      "this strata was built without the ONNX library (libonnx-dev), so it cannot "
      "export; install it (launch/setup.sh does) and build again");
#endif
}

}  // namespace strata::cli
