// A trained network as an ONNX model (docs/export.md): one node or a few per layer, the weights as
// initializers, BatchNorm in inference form (its running statistics), Dropout left out (the
// identity at inference), a dynamic batch dimension. Built with the ONNX library's protobuf
// classes and passed through its model checker and strict shape inference before it is written.
// Built only when the ONNX library is found (STRATA_ONNX); `strata export` says so otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/data/reader.h"  // defines: PixelScale
#include "core/sequential.h"

namespace strata {

// The opset every exported model imports (the ONNX 1.12 library's newest; docs/export.md).
constexpr int64_t kOnnxOpset = 17;

struct OnnxExportOptions {
  std::string graph_name;  // the part: "encoder", "generator", ...
  // The input is raw pixel values (0..255) that the graph scales as the run did (scale_input),
  // or the network's own input as it is (codes, latent vectors).
  bool scale_input = false;
  PixelScale scale = PixelScale::kNone;
  // The graph is the network's layers from this one on, its input that layer's input (the
  // decoder of a stacked autoencoder: the layers after the encoder's).
  int first_layer = 0;
  // Written to the model's metadata_props (key, value), in this order.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// The serialized model of `net` (built, on the CPU). Throws naming the layer when one cannot be
// exported, and with the checker's message when the model fails it.
std::string export_onnx(Sequential& net, const OnnxExportOptions& options);

}  // namespace strata
