#include "core/sequential.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/ops/fill.h"

namespace strata {

namespace {
constexpr int64_t kParamAlign = 16;  // floats: each parameter tensor starts on 64 bytes
int64_t align_up(int64_t n) {
  return (n + kParamAlign - 1) / kParamAlign * kParamAlign;
}

Shape sample_of(const Shape& s) {
  Shape r;
  switch (s.rank()) {
    case 2:
      r = Shape{s[1]};
      break;
    case 3:
      r = Shape{s[1], s[2]};
      break;
    case 4:
      r = Shape{s[1], s[2], s[3]};
      break;
    default:
      r = Shape{};
      break;
  }
  return r;
}
}  // namespace

Shape batched(int64_t n, const Shape& sample) {
  STRATA_CHECK(sample.rank() <= 3,
               "a sample has at most 3 dimensions (C, H, W), got " << sample.str());
  switch (sample.rank()) {
    case 0:
      return Shape{n};
    case 1:
      return Shape{n, sample[0]};
    case 2:
      return Shape{n, sample[0], sample[1]};
    default:
      return Shape{n, sample[0], sample[1], sample[2]};
  }
}

void Sequential::add(std::unique_ptr<Layer> layer, std::string name) {
  STRATA_CHECK(!built_, "cannot add a layer to a model that is already built");
  if (name.empty()) name = std::to_string(layers_.size()) + "." + layer->kind();
  layer->set_index(static_cast<uint32_t>(layers_.size()));
  Slot slot;
  slot.layer = std::move(layer);
  slot.name = std::move(name);
  layers_.push_back(std::move(slot));
}

void Sequential::build(const Shape& sample_shape, uint64_t seed, Device device) {
  STRATA_CHECK(!built_, "model built twice");
  device_ = device;
  STRATA_CHECK(!layers_.empty(), "a model needs at least one layer");
  input_sample_shape_ = sample_shape;
  Shape s = batched(1, sample_shape);
  out_shapes_.clear();
  int64_t total = 0;
  for (auto& slot : layers_) {
    try {
      s = slot.layer->build(s);
    } catch (const Error& e) {
      STRATA_THROW("layer '" << slot.name << "': " << e.message());
    }
    out_shapes_.push_back(s);
    slot.offset = total;
    for (const ParamSpec& p : slot.layer->param_specs()) total += align_up(p.shape.numel());
    slot.count = total - slot.offset;
  }
  output_sample_shape_ = sample_of(s);
  // Initialised on the host, then moved to the device. Zeros also in the alignment gaps between
  // tensors (the optimizer and the all-reduce pass over the whole buffers).
  Tensor host = Tensor::zeros(Shape{total});
  uint32_t param_index = 0;
  for (auto& slot : layers_) {
    int64_t off = slot.offset;
    for (const ParamSpec& p : slot.layer->param_specs()) {
      Tensor v = Tensor::view(host.data() + off, p.shape);
      initialize(v, p.init, seed, param_index++);
      off += align_up(p.shape.numel());
    }
  }
  params_ = device_.is_cpu() ? host : host.to(device_);
  grads_ = Tensor::zeros(Shape{total}).to(device_);
  for (auto& slot : layers_) {
    int64_t off = slot.offset;
    for (const ParamSpec& p : slot.layer->param_specs()) {
      Tensor v = Tensor::view(params_.data() + off, p.shape, device_);
      Tensor g = Tensor::view(grads_.data() + off, p.shape, device_);
      slot.params.push_back(v);
      slot.grads.push_back(g);
      named_.push_back({slot.name + "." + p.name, v, g, off, p.decay});
      off += align_up(p.shape.numel());
    }
    slot.layer->bind(slot.params, slot.grads);
    // State that is not a parameter (BatchNorm's running statistics) is made by the layer's build
    // on the host and lives on the model's device from here on.
    for (Tensor* t : slot.layer->state())
      if (!(t->device() == device_)) *t = t->to(device_);
  }
  outs_.assign(layers_.size(), Tensor(Shape{1}, device_));
  acts_ = outs_;
  for (Tensor& g : gbuf_) g = Tensor(Shape{1}, device_);
  workspace_ = Tensor(Shape{1}, device_);
  saved_ = Tensor(Shape{1}, device_);
  built_ = true;
}

void Sequential::prepare(const Shape& in) {
  Shape s = in;
  int64_t max_grad = in.numel(), workspace = 0, saved = 0;
  std::vector<ScratchNeeds> needs(layers_.size());
  std::vector<int64_t> saved_at(layers_.size());
  // ReLUs that the layer before runs in its own forward (a Dense on a GPU).
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = *layers_[i].layer;
    const bool fuse = i + 1 < layers_.size() && layers_[i + 1].layer->is_relu() &&
                      !layers_[i].output_grad_hook && l.can_fuse_relu(backend());
    l.set_relu_fused(fuse);
    if (i + 1 < layers_.size()) layers_[i + 1].done_by_previous = fuse;
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    needs[i] = layers_[i].layer->setup(s, backend());
    workspace = std::max(workspace, needs[i].workspace);
    saved_at[i] = saved;
    saved += align_up(needs[i].saved);
    s = out_shapes_[i].with_batch(in[0]);
    if (!layers_[i].layer->is_view() && !layers_[i].done_by_previous) {
      outs_[i].resize(s);
      acts_[i] = outs_[i];  // its own memory again, also after a forward made it an alias
    }
    max_grad = std::max(max_grad, s.numel());
  }
  gbuf_[0].resize(Shape{max_grad});
  gbuf_[1].resize(Shape{max_grad});
  workspace_.resize(Shape{std::max<int64_t>(workspace, 1)});
  saved_.resize(Shape{std::max<int64_t>(saved, 1)});
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Tensor ws = needs[i].workspace > 0
                          ? Tensor::view(workspace_.data(), Shape{needs[i].workspace}, device_)
                          : Tensor();
    const Tensor sv = needs[i].saved > 0 ? Tensor::view(saved_.data() + saved_at[i],
                                                        Shape{needs[i].saved}, device_)
                                         : Tensor();
    layers_[i].layer->bind_scratch(ws, sv);
  }
  current_in_ = in;
  replan_ = false;
}

StepContext Sequential::on_device(const StepContext& ctx) const {
  StepContext c = ctx;
  c.backend = &backend_for(device_);
  return c;
}

const Tensor& Sequential::forward(const Tensor& x, const StepContext& step) {
  STRATA_CHECK(built_, "forward on a model that was not built");
  STRATA_CHECK(x.device() == device_, "model input on " << x.device().str() << ", but the model "
                                                        << "lives on " << device_.str()
                                                        << "; copy the batch there first");
  const StepContext ctx = on_device(step);
  if (x.shape() != current_in_ || replan_) {
    STRATA_CHECK(x.rank() >= 1 && sample_of(x.shape()) == input_sample_shape_,
                 "model input has shape " << x.shape().str() << ", but the model was built for "
                                          << "samples of shape " << input_sample_shape_.str()
                                          << "; check the data shape against the model's "
                                             "input_shape");
    prepare(x.shape());
  }
  input_ = x;  // a handle: an owning input (a copy made for the call) lives until backward
  const Tensor* in = &x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i].layer->is_view())
      acts_[i] = in->reshaped(out_shapes_[i].with_batch(x.dim(0)));
    else if (layers_[i].done_by_previous)
      acts_[i] = *in;  // the same values: the layer before applied this ReLU
    else
      layers_[i].layer->forward(*in, acts_[i], ctx);
    in = &acts_[i];
  }
  return acts_.back();
}

const Tensor* Sequential::backward(const Tensor& dy, const StepContext& step,
                                   bool want_input_grad) {
  const StepContext ctx = on_device(step);
  STRATA_CHECK(dy.device() == device_, "output gradient on " << dy.device().str()
                                                             << ", but the model lives on "
                                                             << device_.str());
  STRATA_CHECK(dy.shape() == acts_.back().shape(),
               "output gradient " << dy.shape().str() << " does not match the model output "
                                  << acts_.back().shape().str());
  const int n = num_layers();
  Tensor cur = dy;
  int buf = 0;
  if (layers_[n - 1].output_grad_hook) {  // dy is the caller's: copy before adding to it
    Tensor own = Tensor::view(gbuf_[1].data(), dy.shape(), device_);
    copy(own, dy, backend().stream(), /*async=*/true);
    cur = own;
    buf = 0;
  }
  for (int i = n - 1; i >= 0; --i) {
    Slot& slot = layers_[i];
    if (slot.output_grad_hook) {
      if (cur.data() == dy.data()) {  // reached through views only: still the caller's dy
        Tensor own = Tensor::view(gbuf_[buf ^ 1].data(), cur.shape(), device_);
        copy(own, cur, backend().stream(), /*async=*/true);
        cur = own;
      }
      slot.output_grad_hook(acts_[i], cur);
    }
    const bool need_dx = i > 0 || want_input_grad;
    if (slot.layer->is_view()) {  // the same gradient, seen with the input's shape
      if (need_dx) cur = cur.reshaped(i > 0 ? acts_[i - 1].shape() : current_in_);
      if (grads_ready_ && ctx.param_grads) grads_ready_(i);
      continue;
    }
    Tensor dx;
    if (need_dx) {
      const Shape in_shape = i > 0 ? acts_[i - 1].shape() : current_in_;
      dx = Tensor::view(gbuf_[buf].data(), in_shape, device_);
    }
    slot.layer->backward(i > 0 ? acts_[i - 1] : input_, acts_[i], cur, need_dx ? &dx : nullptr,
                         ctx);
    if (grads_ready_ && ctx.param_grads) grads_ready_(i);
    cur = dx;
    buf ^= 1;
  }
  if (!want_input_grad) return nullptr;
  input_grad_ = cur;
  return &input_grad_;
}

void Sequential::add_output_grad_hook(int layer,
                                      std::function<void(const Tensor& y, Tensor& dy)> hook) {
  STRATA_CHECK(layer >= 0 && layer < num_layers(),
               "no layer " << layer << " in a model of " << num_layers() << " layers");
  layers_[layer].output_grad_hook = std::move(hook);
  replan_ = true;  // the next forward plans again (a hooked layer's ReLU is not fused)
}

void Sequential::zero_grads() {
  dispatch(backend(), [&](auto& be) { fill(be, grads_.data(), grads_.numel(), 0.0f); });
}

void Sequential::set_cross_rank_sum(CrossRankSum* sum) {
  for (auto& slot : layers_) slot.layer->set_cross_rank_sum(sum);
}

void Sequential::set_precision(Precision precision) {
  for (auto& slot : layers_) slot.layer->set_precision(precision);
  replan_ = true;
}

std::vector<Tensor*> Sequential::state() {
  std::vector<Tensor*> all;
  for (auto& slot : layers_)
    for (Tensor* t : slot.layer->state()) all.push_back(t);
  return all;
}

std::string Sequential::summary() const {
  std::ostringstream os;
  os << "input " << input_sample_shape_.str() << "\n";
  for (size_t i = 0; i < layers_.size(); ++i)
    os << "  " << layers_[i].name << " -> " << sample_of(out_shapes_[i]).str() << "  ("
       << layers_[i].count << " params)\n";
  os << "total parameters: " << params_.numel() << "\n";
  return os.str();
}

}  // namespace strata
