// Sequential: a chain of layers with one flat parameter buffer and one flat gradient buffer.
//
// Every parameter tensor of every layer is a view into params(); its gradient is the view at the
// same offset in grads(). All-reduce buckets are therefore slices of grads(), and an optimizer
// step is one pass over both buffers. Activations, input gradients and the layers' scratch (one
// workspace shared by all layers, and each layer's memory kept from forward to backward) are
// owned here, on the model's device, sized on the first batch of a shape and reused after, so a
// steady-state step allocates nothing. The model runs its layers on the backend of its device.
//
// In place: an activation (Layer::can_run_in_place) whose input is the output of a layer that
// does not need its output in backward writes its own output over that memory, and its backward
// writes dx over dy, unless something reads the overwritten values (an output-gradient hook, or
// keep_activation). The values are those of the out-of-place run, bit for bit; only the memory
// differs. set_in_place(false), or STRATA_IN_PLACE=off in the environment, gives every such layer
// its own output buffer again (for comparisons).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/layer.h"

namespace strata {

// One parameter tensor of the model, named "<layer name>.<param name>" (e.g. "2.dense.weight").
// The device memory a model holds, in accounted bytes (core/memory.h's accounted_bytes): its
// flat buffers and the buffers sized for the current input shape.
struct ModelMemory {
  int64_t params = 0, grads = 0;
  int64_t activations = 0;  // the outputs of the layers that write their own (not views, in place)
  int64_t input_grads = 0;  // the two ping-pong input-gradient buffers
  int64_t workspace = 0;    // the layers' shared workspace (Layer::setup)
  int64_t saved = 0;        // the layers' memory kept from forward to backward
  // Of input_grads and workspace, the bytes shared with other models (Sequential::share_scratch):
  // count them once over the models that share them.
  int64_t shared = 0;
  int64_t total() const { return params + grads + activations + input_grads + workspace + saved; }
};

// Scratch that models on one device share: the layers' workspace, used only within one layer's
// forward or backward call, and the two input-gradient buffers, used within one backward. Safe
// for models that run one after the other on one stream and hand each other only the input
// gradient a backward returns (a GAN's G takes D's): a backward whose dy lies in one of the
// buffers starts in the other. The buffers hold what the largest of their models needs; a model
// keeps the storage it planned with until its next forward plans again, so one model growing
// them never pulls memory from under another.
struct SharedScratch {
  Tensor workspace;
  Tensor grads[2];
  uint64_t version = 0;  // advanced whenever one of them is reallocated
};

struct NamedParam {
  std::string name;
  Tensor value;
  Tensor grad;
  int64_t offset = 0;  // into the flat buffers
  bool decay = true;
};

class Sequential {
 public:
  Sequential();
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  // Appends a layer; `name` defaults to "<index>.<kind>".
  void add(std::unique_ptr<Layer> layer, std::string name = "");
  // Infers every shape from one sample's shape (no batch dimension, e.g. {1, 28, 28}), lays out
  // the flat buffers on `device` and initialises the parameters from `seed` (on the host, then
  // copied). Throws on a shape mismatch, naming the layer.
  void build(const Shape& sample_shape, uint64_t seed, Device device = Device::cpu());

  // x (on the model's device) must stay unchanged until the matching backward; the model keeps a
  // handle to it, so an owning tensor made for the call (x.to(device)) stays alive. The layers
  // see ctx with the model's backend.
  const Tensor& forward(const Tensor& x, const StepContext& ctx);
  // dy: dL/d(output of the last forward). Accumulates parameter gradients (if ctx.param_grads)
  // and returns dL/dx when want_input_grad, else nullptr. dL/dx lives in the model's gradient
  // buffers: valid until its next backward, or with shared scratch the next backward of a model
  // sharing it, which may take it as its dy (share_scratch).
  const Tensor* backward(const Tensor& dy, const StepContext& ctx, bool want_input_grad);

  // Called after layer i's backward, once its parameter gradients are final (a reducer launches
  // the all-reduce of a bucket as soon as all its layers have reported).
  void set_grads_ready_hook(std::function<void(int layer)> hook) { grads_ready_ = std::move(hook); }
  // Adds to dL/d(output of layer i) during backward, before layer i's backward runs: how a
  // penalty on a layer's activations (sparsity) enters the gradient.
  void add_output_grad_hook(int layer, std::function<void(const Tensor& y, Tensor& dy)> hook);

  void zero_grads();

  // Passes `sum` to every layer (Layer::set_cross_rank_sum): BatchNorm then normalises with the
  // statistics of the global batch over all ranks. nullptr restores per-rank statistics.
  void set_cross_rank_sum(CrossRankSum* sum);
  // The precision of the layers' matrix products (Layer::set_precision; core/precision.h), fp32
  // until set. The parameters stay fp32; the next forward plans the scratch again. A checkpoint
  // holds fp32 values, so a run may resume at another precision.
  void set_precision(Precision precision);

  int num_layers() const { return static_cast<int>(layers_.size()); }
  Layer& layer(int i) { return *layers_[i].layer; }
  const std::string& layer_name(int i) const { return layers_[i].name; }
  // Flat offset and count of layer i's parameters (count 0 for layers without parameters).
  int64_t layer_param_offset(int i) const { return layers_[i].offset; }
  int64_t layer_param_count(int i) const { return layers_[i].count; }
  // Layer i's output of the last forward. Throws, naming keep_activation, when a later layer
  // overwrote it: an in-place activation, or a ReLU that a Dense on a GPU runs in its own GEMM
  // (Layer::can_fuse_relu).
  const Tensor& activation(int i) const;
  // The shape of layer i's output of the last forward (also when its values were overwritten).
  const Shape& activation_shape(int i) const { return acts_[i].shape(); }
  // Layer i's output is read after forward (by the caller): no later layer overwrites it. Takes
  // effect at the next forward.
  void keep_activation(int i);
  // Whether layer i's output was overwritten by a later layer in the last forward, and whether
  // layer i ran in place (its output in the memory of its input).
  bool activation_overwritten(int i) const { return layers_[i].overwritten; }
  bool runs_in_place(int i) const { return layers_[i].in_place; }
  // In-place activations on (the default, unless STRATA_IN_PLACE=off) or off; takes effect at the
  // next forward.
  void set_in_place(bool on);
  bool in_place() const { return in_place_; }
  // The device memory the model holds now (after a forward has sized it for its input).
  ModelMemory memory() const;
  // The layers' workspace and the input-gradient buffers come from `scratch`, shared with the
  // other models given it (on the same device), from the next forward on.
  void share_scratch(std::shared_ptr<SharedScratch> scratch);
  const Tensor& output() const { return acts_.back(); }
  Shape output_sample_shape() const { return output_sample_shape_; }
  Shape input_sample_shape() const { return input_sample_shape_; }

  Tensor& params() { return params_; }
  Tensor& grads() { return grads_; }
  int64_t num_params() const { return params_.numel(); }
  std::vector<NamedParam>& named_params() { return named_; }
  // Non-parameter state of all layers (BatchNorm running statistics), in layer order.
  std::vector<Tensor*> state();
  bool built() const { return built_; }
  Device device() const { return device_; }
  Backend& backend() const { return backend_for(device_); }
  // A table of layers, output shapes and parameter counts.
  std::string summary() const;

 private:
  struct Slot {
    std::unique_ptr<Layer> layer;
    std::string name;
    int64_t offset = 0, count = 0;
    std::vector<Tensor> params, grads;
    std::function<void(const Tensor&, Tensor&)> output_grad_hook;
    bool done_by_previous = false;  // a ReLU the layer before runs in its forward (is_relu)
    bool in_place = false;          // writes its output over its input (can_run_in_place)
    bool overwritten = false;       // its output's values are replaced by a later layer's
    bool kept = false;              // keep_activation: its output is read after forward
  };
  void plan_in_place();  // sets done_by_previous, in_place and overwritten
  std::array<int64_t, 2> plan_input_grads(const Shape& in) const;  // the ping-pong buffers' sizes
  void hold_input_grads(const Shape& in);  // sizes them (shared_: both for the larger)
  void hold_workspace(int64_t n);          // the layers' workspace, n floats
  void prepare(const Shape& in);           // sizes activations and scratch for a new input shape

  StepContext on_device(const StepContext& ctx) const;

  std::vector<Slot> layers_;
  std::vector<NamedParam> named_;
  std::vector<Tensor> acts_;       // each layer's output: its own in outs_, or a view (forward)
  std::vector<Tensor> outs_;       // the memory of the layers that write their output
  std::vector<Shape> out_shapes_;  // per layer, batch 1, from build()
  Tensor gbuf_[2];                 // ping-pong input-gradient buffers
  Tensor workspace_, saved_;       // the layers' scratch (Layer::setup); saved_ in per-layer parts
  Tensor params_, grads_;
  Tensor input_;  // the last forward's input (shares its storage; no copy of the values)
  Tensor input_grad_;
  Shape input_sample_shape_, output_sample_shape_, current_in_;
  std::function<void(int)> grads_ready_;
  Device device_;
  bool built_ = false;
  bool replan_ = false;  // prepare() again at the next forward (a hook was added)
  bool in_place_ = true;
  bool dx_over_dy_ = true;  // in_place_ as of the last prepare (the plan backward follows)
  std::shared_ptr<SharedScratch> shared_;
  uint64_t shared_version_ = 0;  // shared_->version as of the last prepare
};

// Prepends a batch dimension to a per-sample shape.
Shape batched(int64_t n, const Shape& sample);

}  // namespace strata
