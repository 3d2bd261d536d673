#include "core/sequential.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/memory.h"
#include "core/ops/fill.h"

namespace strata {

namespace {
constexpr int64_t kParamAlign = 16;  // floats: each parameter tensor starts on 64 bytes
int64_t align_up(int64_t n) {
  return (n + kParamAlign - 1) / kParamAlign * kParamAlign;
}

// STRATA_IN_PLACE: "on" (the default) or "off", read once.
bool in_place_default() {
  static const bool on = [] {
    const char* v = std::getenv("STRATA_IN_PLACE");
    if (v == nullptr || *v == '\0') return true;
    const std::string s(v);
    STRATA_CHECK(s == "on" || s == "off",
                 "STRATA_IN_PLACE='" << s << "': expected on or off (whether activations run in "
                                     << "place over their input's memory)");
    return s == "on";
  }();
  return on;
}

// Gives `t` room for `shape` on `device`, keeping its storage when it is large enough.
void hold(Tensor& t, const Shape& shape, Device device) {
  if (t.empty())
    t = Tensor(shape, device);
  else
    t.resize(shape);
}

// Gives the shared tensor `t` room for n values (a new allocation only when it has less); true
// when it was reallocated.
bool grow_shared(Tensor& t, int64_t n, Device device) {
  if (!t.empty() && t.capacity() >= n) return false;
  STRATA_CHECK(t.empty() || t.device() == device,
               "models that share scratch must live on one device: " << t.device().str() << " and "
                                                                     << device.str());
  t = Tensor(Shape{n}, device);
  return true;
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

Sequential::Sequential() : in_place_(in_place_default()) {}

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
  // Activations, gradient buffers and scratch are sized by the first forward (prepare).
  outs_.assign(layers_.size(), Tensor());
  acts_ = outs_;
  built_ = true;
}

void Sequential::plan_in_place() {
  const int n = num_layers();
  for (Slot& slot : layers_) slot.in_place = slot.overwritten = false;
  // ReLUs that the layer before runs in its own forward (a Dense on a GPU).
  for (int i = 0; i < n; ++i) {
    Slot& slot = layers_[i];
    const bool fuse = i + 1 < n && layers_[i + 1].layer->is_relu() && !slot.output_grad_hook &&
                      !slot.kept && slot.layer->can_fuse_relu(backend());
    slot.layer->set_relu_fused(fuse);
    slot.overwritten = fuse;
    if (i + 1 < n) layers_[i + 1].done_by_previous = fuse;
  }
  if (!in_place_) return;
  // A layer that can run in place does so over the output of the last layer before it that is
  // not a view (k), when nobody reads that output after it: not k's backward, not a hook or a
  // reader of k or of the views between.
  for (int i = 0; i < n; ++i) {
    Slot& slot = layers_[i];
    if (!slot.layer->can_run_in_place() || slot.done_by_previous) continue;
    int k = i - 1;
    while (k >= 0 && layers_[k].layer->is_view()) --k;
    if (k < 0) continue;  // the model's input is the caller's
    bool free = !layers_[k].layer->backward_needs_output();
    for (int m = k; m < i; ++m) free = free && !layers_[m].output_grad_hook && !layers_[m].kept;
    if (!free) continue;
    slot.in_place = true;
    for (int m = k; m < i; ++m) layers_[m].overwritten = true;
  }
}

// Walks backward's choices (below) for input `in`, taking the input gradient as wanted, and
// returns the most each ping-pong buffer holds: a layer writes dx into buffer `buf` and flips it,
// or writes dx over dy where it may (backward_dx_over_dy) and dy is already the model's; a hook on
// a layer reached with the caller's dy first copies it into the other buffer.
std::array<int64_t, 2> Sequential::plan_input_grads(const Shape& in) const {
  std::array<int64_t, 2> most{0, 0};
  const int n = num_layers();
  auto numel = [&](int i) { return i < 0 ? in.numel() : out_shapes_[i].numel() * in[0]; };
  int buf = 0;
  bool callers = true;  // cur is still the caller's dy
  for (int i = n - 1; i >= 0; --i) {
    const Slot& slot = layers_[i];
    if (slot.output_grad_hook && callers) {
      most[i == n - 1 ? 1 : buf ^ 1] = std::max(most[i == n - 1 ? 1 : buf ^ 1], numel(i));
      callers = false;
    }
    if (slot.layer->is_view()) continue;
    if (dx_over_dy_ && slot.layer->backward_dx_over_dy() && !callers) continue;  // dx over dy
    most[buf] = std::max(most[buf], numel(i - 1));
    buf ^= 1;
    callers = false;
  }
  return most;
}

void Sequential::hold_input_grads(const Shape& in) {
  const std::array<int64_t, 2> most = plan_input_grads(in);
  if (!shared_) {
    for (int b = 0; b < 2; ++b) hold(gbuf_[b], Shape{std::max<int64_t>(most[b], 1)}, device_);
    return;
  }
  // Either buffer may come first (a dy in one of them), so both get room for the larger need.
  const int64_t g = std::max<int64_t>({most[0], most[1], 1});
  bool grew = false;
  for (Tensor& t : shared_->grads) grew = grow_shared(t, g, device_) || grew;
  if (grew) ++shared_->version;
  gbuf_[0] = shared_->grads[0];  // handles: this storage lives while this plan uses it
  gbuf_[1] = shared_->grads[1];
}

void Sequential::hold_workspace(int64_t n) {
  n = std::max<int64_t>(n, 1);
  if (!shared_) {
    hold(workspace_, Shape{n}, device_);
    return;
  }
  if (grow_shared(shared_->workspace, n, device_)) ++shared_->version;
  workspace_ = shared_->workspace;
}

void Sequential::prepare(const Shape& in) {
  Shape s = in;
  int64_t workspace = 0, saved = 0;
  std::vector<ScratchNeeds> needs(layers_.size());
  std::vector<int64_t> saved_at(layers_.size());
  plan_in_place();
  for (size_t i = 0; i < layers_.size(); ++i) {
    needs[i] = layers_[i].layer->setup(s, backend());
    workspace = std::max(workspace, needs[i].workspace);
    saved_at[i] = saved;
    saved += align_up(needs[i].saved);
    s = out_shapes_[i].with_batch(in[0]);
    const Slot& slot = layers_[i];
    if (slot.layer->is_view() || slot.done_by_previous || slot.in_place) {
      outs_[i] = acts_[i] = Tensor();  // another layer's memory (forward sets acts_[i])
    } else {
      hold(outs_[i], s, device_);
      acts_[i] = outs_[i];  // its own memory again, also after a forward made it an alias
    }
  }
  dx_over_dy_ = in_place_;
  hold_input_grads(in);
  hold_workspace(workspace);
  if (shared_) shared_version_ = shared_->version;
  hold(saved_, Shape{std::max<int64_t>(saved, 1)}, device_);
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
  if (x.shape() != current_in_ || replan_ || (shared_ && shared_->version != shared_version_)) {
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
    const Slot& slot = layers_[i];
    if (slot.layer->is_view()) {
      acts_[i] = in->reshaped(out_shapes_[i].with_batch(x.dim(0)));
    } else if (slot.done_by_previous) {
      acts_[i] = *in;  // the same values: the layer before applied this ReLU
    } else {
      if (slot.in_place) acts_[i] = in->reshaped(out_shapes_[i].with_batch(x.dim(0)));
      slot.layer->forward(*in, acts_[i], ctx);
    }
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
  // With shared scratch dy may be another model's input gradient in one of the buffers: the
  // first writes go to the other one.
  const auto in_buffer = [&](int b) {
    const std::less_equal<const float*> le;
    const std::less<const float*> lt;
    return le(gbuf_[b].data(), dy.data()) && lt(dy.data(), gbuf_[b].data() + gbuf_[b].numel());
  };
  const int dy_in = shared_ ? (in_buffer(0) ? 0 : in_buffer(1) ? 1 : -1) : -1;
  int buf = dy_in == 0 ? 1 : 0;
  // A hook's copy of the caller's dy, in a buffer plan_input_grads sized for it.
  auto own_copy = [&](int b) {
    STRATA_CHECK(cur.numel() <= gbuf_[b].numel(),
                 "an output gradient does not fit the buffer planned for it (a bug in "
                 "Sequential::plan_input_grads)");
    Tensor own = Tensor::view(gbuf_[b].data(), cur.shape(), device_);
    copy(own, cur, backend().stream(), /*async=*/true);
    cur = own;
  };
  if (layers_[n - 1].output_grad_hook) {  // dy is the caller's: copy before adding to it
    const int c = dy_in == 1 ? 0 : 1;
    own_copy(c);
    buf = c ^ 1;
  }
  for (int i = n - 1; i >= 0; --i) {
    Slot& slot = layers_[i];
    if (slot.output_grad_hook) {
      if (cur.data() == dy.data()) {  // reached through views only: still the caller's dy
        if (dy_in == (buf ^ 1)) {     // the other buffer is dy's: copy into this one, then flip
          own_copy(buf);
          buf ^= 1;
        } else {
          own_copy(buf ^ 1);
        }
      }
      slot.output_grad_hook(acts_[i], cur);
    }
    const bool need_dx = i > 0 || want_input_grad;
    if (slot.layer->is_view()) {  // the same gradient, seen with the input's shape
      if (need_dx) cur = cur.reshaped(i > 0 ? acts_[i - 1].shape() : current_in_);
      if (grads_ready_ && ctx.param_grads) grads_ready_(i);
      continue;
    }
    // dx over dy where the layer allows it (Layer::backward_dx_over_dy) and dy is the model's own
    // (in a ping-pong buffer, not the caller's): the other buffer stays free for the next layer.
    const bool over_dy =
        need_dx && dx_over_dy_ && slot.layer->backward_dx_over_dy() && cur.data() != dy.data();
    Tensor dx;
    if (need_dx) {
      const Shape in_shape = i > 0 ? acts_[i - 1].shape() : current_in_;
      STRATA_CHECK(over_dy || in_shape.numel() <= gbuf_[buf].numel(),
                   "layer '" << slot.name << "': its input gradient does not fit the buffer "
                             << "planned for it (a bug in Sequential::plan_input_grads)");
      dx = Tensor::view(over_dy ? cur.data() : gbuf_[buf].data(), in_shape, device_);
    }
    slot.layer->backward(i > 0 ? acts_[i - 1] : input_, acts_[i], cur, need_dx ? &dx : nullptr,
                         ctx);
    if (grads_ready_ && ctx.param_grads) grads_ready_(i);
    cur = dx;
    if (!over_dy) buf ^= 1;
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
  // The next backward may come first: its gradient buffers must have room for the hook's copy.
  // (The layers keep their workspace until then: this changes only the gradient buffers.)
  if (current_in_.rank() > 0) hold_input_grads(current_in_);
}

const Tensor& Sequential::activation(int i) const {
  STRATA_CHECK(i >= 0 && i < num_layers(),
               "no layer " << i << " in a model of " << num_layers() << " layers");
  if (layers_[i].overwritten) {
    int by = i + 1;
    while (by < num_layers() && !layers_[by].in_place && !layers_[by].done_by_previous) ++by;
    STRATA_THROW("the output of layer '" << layers_[i].name << "' was overwritten by layer '"
                                         << layers_[std::min(by, num_layers() - 1)].name
                                         << "', which runs in its memory; call keep_activation("
                                         << i << ") before the forward to read it");
  }
  return acts_[i];
}

void Sequential::keep_activation(int i) {
  STRATA_CHECK(i >= 0 && i < num_layers(),
               "no layer " << i << " in a model of " << num_layers() << " layers");
  layers_[i].kept = true;
  replan_ = true;
}

void Sequential::share_scratch(std::shared_ptr<SharedScratch> scratch) {
  shared_ = std::move(scratch);
  replan_ = true;
}

void Sequential::set_in_place(bool on) {
  in_place_ = on;
  replan_ = true;
}

ModelMemory Sequential::memory() const {
  auto bytes = [&](const Tensor& t) {
    return t.empty() ? int64_t{0}
                     : accounted_bytes(device_, static_cast<size_t>(t.capacity()) * sizeof(float));
  };
  ModelMemory m;
  m.params = bytes(params_);
  m.grads = bytes(grads_);
  for (const Tensor& t : outs_) m.activations += bytes(t);
  m.input_grads = bytes(gbuf_[0]) + bytes(gbuf_[1]);
  m.workspace = bytes(workspace_);
  m.saved = bytes(saved_);
  if (shared_) m.shared = m.input_grads + m.workspace;
  return m;
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
