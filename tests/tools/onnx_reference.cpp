// onnx_reference RUN PART PREFIX [--data GLOB] [--count N] [--codes FILE.h5] [--model FILE.onnx]:
// what Strata itself computes with one network of a trained run, for tests/cli/export_check.py to
// set beside ONNX Runtime's results on the exported model. Writes PREFIX.input.npy (what the
// exported model takes) and PREFIX.output.npy (the network's output on the CPU in eval mode),
// float32:
//   encoder, autoencoder, classifier, discriminator: the images of --data in order (the samples
//     `strata encode` and `strata eval` read), input as raw pixel values 0..255, the network fed
//     the same images scaled as the run trained (the data reader's scaling);
//   decoder: the encoder's codes of --data (what `strata encode` writes) and their decoding (a
//     stacked autoencoder's: its autoencoder's reconstruction of the images, whose layers after
//     the encoder's are the exported decoder);
//   generator: the first --count latent vectors of `strata sample` (the run's seed, the sample
//     grid's stream) and generate_images' images of them.
// Image parts of labelled data also write PREFIX.labels.npy (float32).
// --codes FILE.h5 (a `strata encode` output): also writes its codes as PREFIX.encode.npy.
// --model FILE.onnx: first runs the ONNX library's model checker on the file as written.
#include <hdf5.h>
#include <onnx/checker.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "core/data/hdf5_util.h"
#include "core/error.h"
#include "trainers/eval/load_run.h"
#include "trainers/gan_step.h"
#include "trainers/kinds/gan.h"

namespace strata {
namespace {

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  int64_t n = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ",";
    n *= d;
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream os(path, std::ios::binary);
  const char magic[] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  os.write(magic, 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  os.write(reinterpret_cast<const char*>(&len), 2);
  os.write(header.data(), static_cast<std::streamsize>(header.size()));
  os.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
  STRATA_CHECK(os.good(), "cannot write " << path);
}

std::vector<int64_t> with_batch(int64_t n, const Shape& sample) {
  std::vector<int64_t> d{n};
  for (int i = 0; i < sample.rank(); ++i) d.push_back(sample[i]);
  return d;
}

// Every image of `data` in order, scaled by `scale`, [total, sample...] on the host; their labels
// into *labels when given and the data has them.
std::vector<float> read_all(const DatasetInfo& data, PixelScale scale,
                            std::vector<float>* labels = nullptr) {
  ReaderOptions ro;
  ro.global_batch = std::min<int64_t>(256, data.total);
  ro.shuffle = false;
  ro.drop_last = false;
  ro.scale = scale;
  DataReader reader(data, ro);
  reader.start(0, 0);
  const int64_t per = data.sample_values();
  std::vector<float> all(static_cast<size_t>(data.total * per));
  if (labels && data.has_labels) labels->assign(static_cast<size_t>(data.total), 0.0f);
  for (int64_t s = 0; s < reader.steps_per_epoch(); ++s) {
    const Batch& b = reader.next();
    const int64_t valid = std::clamp<int64_t>(data.total - b.global_offset, 0, b.size);
    std::copy(b.images.data(), b.images.data() + valid * per, all.begin() + b.global_offset * per);
    if (labels && data.has_labels)
      std::copy(b.labels.data(), b.labels.data() + valid, labels->begin() + b.global_offset);
  }
  return all;
}

// net's eval-mode output on `x` [n, input sample...], on the host.
std::vector<float> run_net(Sequential& net, const std::vector<float>& x, int64_t n) {
  Tensor in(batched(n, net.input_sample_shape()));
  std::copy(x.begin(), x.end(), in.data());
  StepContext ctx;
  ctx.training = false;
  ctx.param_grads = false;
  const Tensor& y = net.forward(in, ctx);
  return std::vector<float>(y.data(), y.data() + y.numel());
}

std::vector<float> read_codes(const std::string& path, std::vector<int64_t>& shape) {
  auto guard = h5::lock();
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  STRATA_CHECK(file.valid(), "cannot open " << path);
  h5::Handle ds(H5Dopen2(file.get(), "codes", H5P_DEFAULT), H5Dclose);
  h5::Handle space(H5Dget_space(ds.get()), H5Sclose);
  hsize_t dims[2] = {0, 0};
  STRATA_CHECK(ds.valid() && H5Sget_simple_extent_dims(space.get(), dims, nullptr) == 2,
               path << ": no 2-D /codes");
  shape = {static_cast<int64_t>(dims[0]), static_cast<int64_t>(dims[1])};
  std::vector<float> codes(static_cast<size_t>(dims[0] * dims[1]));
  STRATA_CHECK(
      H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes.data()) >= 0,
      "cannot read " << path << ":/codes");
  return codes;
}

int run(int argc, char** argv) {
  STRATA_CHECK(argc >= 4,
               "usage: onnx_reference RUN PART PREFIX [--data GLOB] [--count N] "
               "[--codes FILE.h5] [--model FILE.onnx]");
  const std::string checkpoint = argv[1], part = argv[2], prefix = argv[3];
  std::string data_path, codes_path, model_path;
  int64_t count = 16;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--data") {
      data_path = argv[i + 1];
    } else if (flag == "--count") {
      count = std::stoll(argv[i + 1]);
    } else if (flag == "--codes") {
      codes_path = argv[i + 1];
    } else if (flag == "--model") {
      model_path = argv[i + 1];
    } else {
      STRATA_THROW("unknown flag " << flag);
    }
  }
  if (!model_path.empty()) ONNX_NAMESPACE::checker::check_model(model_path);
  const std::unique_ptr<LoadedRun> run = load_run(checkpoint, data_path, false, "cpu");
  // A stacked autoencoder's decoder is its autoencoder after the encoder's layers.
  const bool split_decoder = part == "decoder" && run->find_network("decoder") == nullptr;
  Sequential& net = run->network(split_decoder ? "autoencoder" : part);
  Shape in_sample = net.input_sample_shape();
  std::vector<float> input, output;
  int64_t n = 0;
  if (part == "generator") {
    n = count;
    Tensor z;
    draw_latents(z, net.input_sample_shape(), n, run->meta.seed, kLatentSampleGrid, 0, 0);
    input.assign(z.data(), z.data() + z.numel());
    const Tensor images = generate_images(net, run->meta.seed, kLatentSampleGrid, 0, n);
    output.assign(images.data(), images.data() + images.numel());
  } else {
    STRATA_CHECK(run->data != nullptr, part << " needs --data");
    n = run->data->total;
    const std::vector<float> scaled = read_all(*run->data, run->scale());
    if (part == "decoder") {
      Sequential& enc = run->network("encoder");
      input = run_net(enc, scaled, n);
      in_sample = enc.output_sample_shape();
      output = split_decoder ? run_net(net, scaled, n) : run_net(net, input, n);
    } else {
      std::vector<float> labels;
      input = read_all(*run->data, PixelScale::kNone, &labels);
      output = run_net(net, scaled, n);
      if (!labels.empty()) write_npy(prefix + ".labels.npy", {n}, labels.data());
    }
  }
  write_npy(prefix + ".input.npy", with_batch(n, in_sample), input.data());
  write_npy(prefix + ".output.npy", with_batch(n, net.output_sample_shape()), output.data());
  if (!codes_path.empty()) {
    std::vector<int64_t> shape;
    const std::vector<float> codes = read_codes(codes_path, shape);
    write_npy(prefix + ".encode.npy", shape, codes.data());
  }
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  try {
    return strata::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onnx_reference: %s\n", e.what());
    return 1;
  }
}
