// Building a stacked autoencoder's networks from its encoder blocks, each block with its mirror
// (trainers/kinds/mirror.h).
#include "trainers/kinds/mirror.h"

#include <map>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/layers/pooling.h"
#include "core/layers/reshape.h"

namespace strata {

namespace {

std::string tag(const char* what, int k) {
  return what + std::to_string(k + 1);
}

void add_activation(Sequential& net, BlockActivation a, const std::string& name) {
  switch (a) {
    case BlockActivation::kLinear:
      return;
    case BlockActivation::kReLU:
      return net.add(std::make_unique<Activation>(ActivationKind::kReLU), name);
    case BlockActivation::kLeakyReLU:
      return net.add(std::make_unique<Activation>(ActivationKind::kLeakyReLU, 0.2f), name);
    case BlockActivation::kSigmoid:
      return net.add(std::make_unique<Activation>(ActivationKind::kSigmoid), name);
    case BlockActivation::kTanh:
      return net.add(std::make_unique<Activation>(ActivationKind::kTanh), name);
  }
}

void add_encoder_block(Sequential& net, const EncoderBlock& b, int k) {
  const std::string p = tag("enc", k);
  if (b.type == EncoderBlock::Type::kDense) {
    if (b.in_shape.rank() > 1) net.add(std::make_unique<Reshape>(), p + ".flatten");
    DenseOptions o;
    o.units = b.units;
    net.add(std::make_unique<Dense>(o), p + ".dense");
    add_activation(net, b.activation, p + ".act");
    return;
  }
  Conv2DOptions o;
  o.filters = b.units;
  o.kernel_h = o.kernel_w = b.kernel;
  o.padding_mode = b.same ? PaddingMode::kSame : PaddingMode::kValid;
  net.add(std::make_unique<Conv2D>(o), p + ".conv");
  add_activation(net, b.activation, p + ".act");
  if (b.pool > 1) {
    MaxPool2DOptions m;
    m.kernel_h = m.kernel_w = m.stride_h = m.stride_w = b.pool;
    net.add(std::make_unique<MaxPool2D>(m), p + ".pool");
  }
}

// The decoder that maps block k's output back to its input, ending with `out`.
void add_decoder_block(Sequential& net, const StackedConfig& c, int k, BlockActivation out) {
  const EncoderBlock& b = c.blocks[k];
  const std::string p = tag("dec", k);
  if (b.type == EncoderBlock::Type::kDense) {
    DenseOptions o;
    o.units = b.in_shape.numel();
    net.add(std::make_unique<Dense>(o), p + ".dense");
    add_activation(net, out, p + ".act");
    if (b.in_shape.rank() > 1) {
      std::vector<int64_t> dims;
      for (int i = 0; i < b.in_shape.rank(); ++i) dims.push_back(b.in_shape[i]);
      net.add(std::make_unique<Reshape>(dims), p + ".reshape");
    }
    return;
  }
  const int64_t channels = b.in_shape[0];
  if (c.upsampling == Upsampling::kUpsample) {
    if (b.pool > 1) {
      Upsample2DOptions u;
      u.scale_h = u.scale_w = b.pool;
      net.add(std::make_unique<Upsample2D>(u), p + ".upsample");
    }
    Conv2DOptions o;
    o.filters = channels;
    o.kernel_h = o.kernel_w = b.kernel;
    o.padding_mode = b.same ? PaddingMode::kSame : PaddingMode::kExplicit;
    if (!b.same) o.pad_h = o.pad_w = b.kernel - 1;  // a "full" convolution undoes a valid one
    net.add(std::make_unique<Conv2D>(o), p + ".conv");
  } else {
    ConvTranspose2DOptions o;
    o.filters = channels;
    o.kernel_h = o.kernel_w = b.kernel;
    o.stride_h = o.stride_w = b.pool;
    o.same = b.same;
    if (!b.same) o.output_pad_h = o.output_pad_w = b.pool - 1;
    net.add(std::make_unique<ConvTranspose2D>(o), p + ".deconv");
  }
  add_activation(net, out, p + ".act");
}

// What the decoder of block k ends with: the reconstruction's activation for the first block,
// else the activation of the block before (whose output it reconstructs).
BlockActivation decoder_activation(const StackedConfig& c, int k) {
  return k == 0 ? c.output_activation : c.blocks[k - 1].activation;
}

std::unique_ptr<Sequential> built(std::unique_ptr<Sequential> net, const Shape& in, uint64_t seed,
                                  Device device) {
  net->build(in, seed, device);
  return net;
}

}  // namespace

std::unique_ptr<Sequential> build_stage(const StackedConfig& c, int k, uint64_t seed,
                                        int* code_layer, Device device) {
  auto net = std::make_unique<Sequential>();
  add_encoder_block(*net, c.blocks[k], k);
  if (code_layer) *code_layer = net->num_layers() - 1;
  if (c.stages[k].dropout > 0.0f)
    net->add(std::make_unique<Dropout>(c.stages[k].dropout), "stage.dropout");
  add_decoder_block(*net, c, k, decoder_activation(c, k));
  return built(std::move(net), c.blocks[k].in_shape, seed, device);
}

std::unique_ptr<Sequential> build_stack(const StackedConfig& c, float dropout, uint64_t seed,
                                        Device device) {
  auto net = std::make_unique<Sequential>();
  const int K = static_cast<int>(c.blocks.size());
  for (int k = 0; k < K; ++k) {
    add_encoder_block(*net, c.blocks[k], k);
    if (dropout > 0.0f) net->add(std::make_unique<Dropout>(dropout), tag("enc", k) + ".dropout");
  }
  for (int k = K - 1; k >= 0; --k) add_decoder_block(*net, c, k, decoder_activation(c, k));
  return built(std::move(net), c.input_shape, seed, device);
}

std::unique_ptr<Sequential> build_encoder(const StackedConfig& c, int blocks, uint64_t seed,
                                          Device device) {
  auto net = std::make_unique<Sequential>();
  for (int k = 0; k < blocks; ++k) add_encoder_block(*net, c.blocks[k], k);
  return built(std::move(net), c.input_shape, seed, device);
}

std::unique_ptr<Sequential> build_classifier(const StackedConfig& c, int64_t classes, float dropout,
                                             float input_dropout, uint64_t seed, Device device) {
  auto net = std::make_unique<Sequential>();
  const int K = static_cast<int>(c.blocks.size());
  if (input_dropout > 0.0f) net->add(std::make_unique<Dropout>(input_dropout), "input.dropout");
  for (int k = 0; k < K; ++k) {
    add_encoder_block(*net, c.blocks[k], k);
    if (dropout > 0.0f) net->add(std::make_unique<Dropout>(dropout), tag("enc", k) + ".dropout");
  }
  if (c.blocks.back().out_shape.rank() > 1) net->add(std::make_unique<Reshape>(), "head.flatten");
  DenseOptions o;
  o.units = classes;
  net->add(std::make_unique<Dense>(o), "head.dense");
  return built(std::move(net), c.input_shape, seed, device);
}

int copy_params_by_name(Sequential& dst, Sequential& src) {
  std::map<std::string, NamedParam*> by_name;
  for (NamedParam& p : src.named_params()) by_name[p.name] = &p;
  int copied = 0;
  for (NamedParam& p : dst.named_params()) {
    auto it = by_name.find(p.name);
    if (it == by_name.end()) continue;
    STRATA_CHECK(it->second->value.numel() == p.value.numel(),
                 "cannot copy parameter " << p.name << ": " << it->second->value.shape().str()
                                          << " into " << p.value.shape().str());
    copy(p.value, it->second->value);
    ++copied;
  }
  return copied;
}

}  // namespace strata
