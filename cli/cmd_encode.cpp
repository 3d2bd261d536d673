// strata encode: the codes of a trained autoencoder's encoder for every sample of a data set.
//
//   strata encode --checkpoint PATH|RUN_DIR --data PATH|GLOB --out FILE.h5 [--batch N]
//                 [--device auto|cpu|cuda]
//
// The run is rebuilt from its checkpoint (trainers/eval/load_run.h) and its "encoder" network
// (stacked_autoencoder: blocks 1..K with the fine-tuned weights) is run in eval mode over the
// samples in order, scaled as the run was trained, on the device --device (or else the run's
// config) selects here; the codes are read back to the host. The output holds `codes` [N, code_dim]
// float32 and, when the data has labels, `labels` [N] int64; it is written to "<out>.tmp-<pid>"
// and renamed into place when complete.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/atomic_file.h"
#include "core/data/hdf5_util.h"
#include "core/error.h"
#include "trainers/device_input.h"
#include "trainers/eval/load_run.h"
#include "trainers/kinds/autoencoder_eval.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Writes the codes of a trained autoencoder's encoder for every sample of a data set: an HDF5\n"
    "file with codes [N, code_dim] float32 and, when the data has labels, labels [N] int64.";

// One 1-D or 2-D dataset of `type` written whole.
void write_dataset(hid_t file, const std::string& path, const char* name, hid_t type,
                   const std::vector<hsize_t>& dims, const void* data) {
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  h5::Handle ds(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose);
  STRATA_CHECK(space.valid() && ds.valid() &&
                   H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 && ds.reset(),
               "cannot write /" << name << " to " << path << ": " << h5::last_error());
}

void write_codes(const std::string& out, const std::vector<float>& codes, int64_t n, int64_t dim,
                 const std::vector<int64_t>* labels) {
  auto guard = h5::lock();
  h5::quiet();
  AtomicFile file_out(out);
  const std::string& tmp = file_out.temp_path();
  {
    h5::Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    STRATA_CHECK(file.valid(), "cannot create " << tmp << ": " << h5::last_error()
                                                << " (does the folder exist and is it writable?)");
    write_dataset(file.get(), tmp, "codes", H5T_NATIVE_FLOAT,
                  {static_cast<hsize_t>(n), static_cast<hsize_t>(dim)}, codes.data());
    if (labels)
      write_dataset(file.get(), tmp, "labels", H5T_NATIVE_INT64, {static_cast<hsize_t>(n)},
                    labels->data());
    STRATA_CHECK(file.reset(), "cannot close " << tmp << ": " << h5::last_error());
  }
  file_out.commit();
}

}  // namespace

int run_encode(const Args& args) {
  std::string checkpoint, data_path, out, device;
  int64_t batch = 256;
  FlagParser app("strata encode", kDescription);
  add_checkpoint_flag(app, checkpoint);
  add_data_flag(app, data_path);
  add_device_flag(app, device);
  app.add_option("--out", out, "the HDF5 file to write")->type_name("FILE.h5")->required();
  app.add_option("--batch", batch, "samples per forward pass")
      ->check(int_range(1))
      ->capture_default_str();
  if (!parse_flags(app, args)) return 0;
  const std::unique_ptr<LoadedRun> run = load_run(checkpoint, data_path, false, device);
  Sequential& enc = run->network("encoder");
  const DatasetInfo& data = *run->data;
  STRATA_CHECK(data.sample_values() == enc.input_sample_shape().numel(),
               "the encoder takes " << enc.input_sample_shape().str() << " but " << data_path
                                    << " holds " << data.channels << "x" << data.height << "x"
                                    << data.width << " images");

  ReaderOptions ro;
  ro.global_batch = std::min(batch, data.total);
  ro.shuffle = false;
  ro.drop_last = false;
  ro.prefetch = run->experiment.data.prefetch;
  ro.scale = run->scale();
  DataReader reader(data, ro);
  reader.start(0, 0);
  const int64_t dim = enc.output_sample_shape().numel();
  std::vector<float> codes(static_cast<size_t>(data.total * dim));
  std::vector<int64_t> labels(data.has_labels ? static_cast<size_t>(data.total) : 0);
  Tensor on_net, host_codes, host_labels;  // copies to the encoder's device and back (if needed)
  for (int64_t s = 0; s < reader.steps_per_epoch(); ++s) {
    const Batch& b = reader.next();
    const int64_t valid = std::clamp<int64_t>(data.total - b.global_offset, 0, b.size);
    const Tensor& x = on_device(b.images, enc.device(), on_net);
    const Tensor& y =
        on_host(enc.forward(x.reshaped(batched(b.size, enc.input_sample_shape())), eval_context()),
                host_codes);
    std::copy(y.data(), y.data() + valid * dim, codes.begin() + b.global_offset * dim);
    if (!data.has_labels) continue;
    const Tensor& batch_labels = on_host(b.labels, host_labels);
    for (int64_t i = 0; i < valid; ++i)
      labels[static_cast<size_t>(b.global_offset + i)] = static_cast<int64_t>(batch_labels[i]);
  }
  write_codes(out, codes, data.total, dim, data.has_labels ? &labels : nullptr);
  std::printf("wrote %lld codes of %lld values%s from %s (step %lld) to %s\n",
              static_cast<long long>(data.total), static_cast<long long>(dim),
              data.has_labels ? " with labels" : "", run->checkpoint.c_str(),
              static_cast<long long>(run->meta.pos.global_step), out.c_str());
  return 0;
}

}  // namespace strata::cli
