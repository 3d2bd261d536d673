// A trained network as an ONNX model (cli/onnx_export.h). The mapping, layer by layer:
//   dense             Gemm (transB = 1: Strata's weight is [out, in])
//   conv2d            Conv with explicit pads [top, left, bottom, right] ("same" as resolved)
//   conv_transpose2d  ConvTranspose with explicit pads and output_padding (the crop as resolved)
//   maxpool2d         MaxPool (floor mode; the padding never holds a window's maximum)
//   upsample2d        Resize (nearest, asymmetric coordinates, floor): out[i] = in[i / scale]
//   batchnorm         BatchNormalization (inference: running statistics, the layer's epsilon)
//   relu, leaky_relu, sigmoid, tanh   Relu, LeakyRelu (alpha = slope), Sigmoid, Tanh
//   flatten, reshape  Reshape to [0 (the batch), the sample's shape as built]
//   dropout           nothing (the identity at inference)
#include "cli/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/layers/pooling.h"
#include "core/layers/reshape.h"

namespace strata {

namespace {

namespace ox = ONNX_NAMESPACE;

// A shape's dimensions from `first` on (1: a sample's, without the batch).
std::vector<int64_t> dims_of(const Shape& s, int first = 0) {
  std::vector<int64_t> d;
  for (int i = first; i < s.rank(); ++i) d.push_back(s[i]);
  return d;
}

// Adds the graph's nodes and initializers, naming every tensor after its layer.
class GraphBuilder {
 public:
  explicit GraphBuilder(ox::GraphProto& g) : g_(g) {}

  // A float initializer from host values.
  std::string add_floats(const std::string& name, const std::vector<int64_t>& dims,
                         const float* values, int64_t count) {
    ox::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(ox::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values),
                                static_cast<size_t>(count) * sizeof(float)));
    return name;
  }
  std::string add_tensor(const std::string& name, const Tensor& v) {
    return add_floats(name, dims_of(v.shape()), v.data(), v.numel());
  }
  std::string add_ints(const std::string& name, const std::vector<int64_t>& values) {
    ox::TensorProto* t = g_.add_initializer();
    t->set_name(name);
    t->set_data_type(ox::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t)));
    return name;
  }

  ox::NodeProto* node(const std::string& op, const std::string& name,
                      const std::vector<std::string>& inputs, const std::string& output) {
    ox::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    return n;
  }

 private:
  ox::GraphProto& g_;
};

void attr_ints(ox::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
  ox::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(ox::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void attr_int(ox::NodeProto* n, const char* name, int64_t v) {
  ox::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(ox::AttributeProto::INT);
  a->set_i(v);
}
void attr_float(ox::NodeProto* n, const char* name, float v) {
  ox::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(ox::AttributeProto::FLOAT);
  a->set_f(v);
}
void attr_string(ox::NodeProto* n, const char* name, const std::string& v) {
  ox::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(ox::AttributeProto::STRING);
  a->set_s(v);
}

// A float tensor value [batch, sample...] with a dynamic batch dimension.
void set_value_info(ox::ValueInfoProto* v, const std::string& name,
                    const std::vector<int64_t>& sample) {
  v->set_name(name);
  ox::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(ox::TensorProto::FLOAT);
  ox::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("batch");
  for (int64_t d : sample) s->add_dim()->set_dim_value(d);
}

// Layer i's parameters by name ("weight", "bias"), as the model lays them out.
const Tensor& param(Sequential& net, int i, const std::string& name) {
  const std::string full = net.layer_name(i) + "." + name;
  for (const NamedParam& p : net.named_params())
    if (p.name == full) return p.value;
  STRATA_THROW("export: layer " << net.layer_name(i) << " has no parameter '" << name << "'");
}

// Bottom (right) padding of a convolution along one axis: what the last window needs beyond the
// input and the top padding (none when the last rows are left unread).
int64_t conv_end_pad(int64_t in, int64_t out, int64_t k, int64_t s, int64_t top) {
  return std::max<int64_t>((out - 1) * s + k - in - top, 0);
}

// Adds layer i (input tensor `x`, sample shapes in -> out); returns the name of its output.
std::string add_layer(GraphBuilder& b, Sequential& net, int i, const std::string& x,
                      const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  Layer& layer = net.layer(i);
  const std::string name = net.layer_name(i);
  const std::string y = name + ".out";
  if (auto* d = dynamic_cast<Dense*>(&layer)) {
    std::vector<std::string> inputs{x, b.add_tensor(name + ".weight", param(net, i, "weight"))};
    if (d->options().bias) inputs.push_back(b.add_tensor(name + ".bias", param(net, i, "bias")));
    attr_int(b.node("Gemm", name, inputs, y), "transB", 1);
    return y;
  }
  if (auto* c = dynamic_cast<Conv2D*>(&layer)) {
    const Conv2DOptions& o = c->options();
    std::vector<std::string> inputs{x, b.add_tensor(name + ".weight", param(net, i, "weight"))};
    if (o.bias) inputs.push_back(b.add_tensor(name + ".bias", param(net, i, "bias")));
    ox::NodeProto* n = b.node("Conv", name, inputs, y);
    attr_ints(n, "kernel_shape", {o.kernel_h, o.kernel_w});
    attr_ints(n, "strides", {o.stride_h, o.stride_w});
    attr_ints(n, "pads",
              {c->pad_top(), c->pad_left(),
               conv_end_pad(in[1], out[1], o.kernel_h, o.stride_h, c->pad_top()),
               conv_end_pad(in[2], out[2], o.kernel_w, o.stride_w, c->pad_left())});
    return y;
  }
  if (auto* c = dynamic_cast<ConvTranspose2D*>(&layer)) {
    // The full output (in - 1) * stride + kernel, cropped by pad_top at the top and to the
    // layer's output size at the bottom; a negative crop is output_padding (rows of bias only).
    const ConvTranspose2DOptions& o = c->options();
    const ConvGeometry& g = c->geometry();
    const int64_t end_h = (in[1] - 1) * o.stride_h + o.kernel_h - g.pad_top - out[1];
    const int64_t end_w = (in[2] - 1) * o.stride_w + o.kernel_w - g.pad_left - out[2];
    std::vector<std::string> inputs{x, b.add_tensor(name + ".weight", param(net, i, "weight"))};
    if (o.bias) inputs.push_back(b.add_tensor(name + ".bias", param(net, i, "bias")));
    ox::NodeProto* n = b.node("ConvTranspose", name, inputs, y);
    attr_ints(n, "kernel_shape", {o.kernel_h, o.kernel_w});
    attr_ints(n, "strides", {o.stride_h, o.stride_w});
    attr_ints(n, "pads",
              {g.pad_top, g.pad_left, std::max<int64_t>(end_h, 0), std::max<int64_t>(end_w, 0)});
    attr_ints(n, "output_padding", {std::max<int64_t>(-end_h, 0), std::max<int64_t>(-end_w, 0)});
    return y;
  }
  if (auto* p = dynamic_cast<MaxPool2D*>(&layer)) {
    const MaxPool2DOptions& o = p->options();
    ox::NodeProto* n = b.node("MaxPool", name, {x}, y);
    attr_ints(n, "kernel_shape", {o.kernel_h, o.kernel_w});
    attr_ints(n, "strides", {o.stride_h, o.stride_w});
    attr_ints(n, "pads", {o.pad_h, o.pad_w, o.pad_h, o.pad_w});
    return y;
  }
  if (auto* u = dynamic_cast<Upsample2D*>(&layer)) {
    const Upsample2DOptions& o = u->options();
    const float scales[4] = {1.0f, 1.0f, static_cast<float>(o.scale_h),
                             static_cast<float>(o.scale_w)};
    ox::NodeProto* n =
        b.node("Resize", name, {x, "", b.add_floats(name + ".scales", {4}, scales, 4)}, y);
    attr_string(n, "mode", "nearest");
    attr_string(n, "coordinate_transformation_mode", "asymmetric");
    attr_string(n, "nearest_mode", "floor");
    return y;
  }
  if (auto* bn = dynamic_cast<BatchNorm*>(&layer)) {
    const std::vector<Tensor*> stats = bn->state();  // running_mean, running_var
    const int64_t c = stats[0]->numel();
    std::string gamma, beta;
    if (bn->options().affine) {
      gamma = b.add_tensor(name + ".weight", param(net, i, "weight"));
      beta = b.add_tensor(name + ".bias", param(net, i, "bias"));
    } else {
      const std::vector<float> ones(static_cast<size_t>(c), 1.0f), zeros(ones.size(), 0.0f);
      gamma = b.add_floats(name + ".weight", {c}, ones.data(), c);
      beta = b.add_floats(name + ".bias", {c}, zeros.data(), c);
    }
    const std::string mean = b.add_tensor(name + ".running_mean", *stats[0]);
    const std::string var = b.add_tensor(name + ".running_var", *stats[1]);
    ox::NodeProto* n = b.node("BatchNormalization", name, {x, gamma, beta, mean, var}, y);
    attr_float(n, "epsilon", bn->options().eps);
    attr_int(n, "training_mode", 0);
    return y;
  }
  if (auto* a = dynamic_cast<Activation*>(&layer)) {
    const ActivationFn& f = a->function();
    switch (f.kind) {
      case ActivationKind::kReLU:
        b.node("Relu", name, {x}, y);
        break;
      case ActivationKind::kLeakyReLU:
        attr_float(b.node("LeakyRelu", name, {x}, y), "alpha", f.slope);
        break;
      case ActivationKind::kSigmoid:
        b.node("Sigmoid", name, {x}, y);
        break;
      case ActivationKind::kTanh:
        b.node("Tanh", name, {x}, y);
        break;
    }
    return y;
  }
  if (dynamic_cast<Reshape*>(&layer)) {
    std::vector<int64_t> target{0};  // 0: the input's batch dimension
    for (int64_t d : out) target.push_back(d);
    b.node("Reshape", name, {x, b.add_ints(name + ".shape", target)}, y);
    return y;
  }
  if (dynamic_cast<Dropout*>(&layer)) return x;
  STRATA_THROW("export: layer " << name << " (" << layer.kind()
                                << ") has no ONNX form here: the exporter knows dense, conv2d, "
                                   "conv_transpose2d, maxpool2d, upsample2d, batchnorm, dropout, "
                                   "flatten, reshape, relu, leaky_relu, sigmoid and tanh");
}

const char* scale_name(PixelScale s) {
  return s == PixelScale::kUnit ? "unit" : s == PixelScale::kSymmetric ? "symmetric" : "none";
}

}  // namespace

std::string export_onnx(Sequential& net, const OnnxExportOptions& options) {
  STRATA_CHECK(net.built() && net.device().is_cpu(),
               "export: the network must be built on the CPU (load the run with --device cpu)");
  // One eval-mode forward of a zero sample gives every layer's output shape.
  Tensor probe = Tensor::zeros(batched(1, net.input_sample_shape()));
  StepContext ctx;
  ctx.training = false;
  ctx.param_grads = false;
  net.forward(probe, ctx);

  ox::ModelProto model;
  model.set_ir_version(ox::IR_VERSION);
  model.set_producer_name("strata");
  model.set_model_version(1);
  model.set_doc_string("Strata " + options.graph_name + " (docs/export.md)");
  ox::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [key, value] : options.metadata) {
    ox::StringStringEntryProto* e = model.add_metadata_props();
    e->set_key(key);
    e->set_value(value);
  }
  ox::StringStringEntryProto* e = model.add_metadata_props();
  e->set_key("strata.input");
  e->set_value(options.scale_input ? std::string("pixels 0..255, scaled in the graph (") +
                                         scale_name(options.scale) + ")"
                                   : "the network's input as it is");

  ox::GraphProto& g = *model.mutable_graph();
  g.set_name(options.graph_name);
  GraphBuilder b(g);
  STRATA_CHECK(options.first_layer >= 0 && options.first_layer < net.num_layers(),
               "export: layer " << options.first_layer << " of a network of " << net.num_layers()
                                << " layers");
  std::vector<int64_t> in = options.first_layer == 0
                                ? dims_of(net.input_sample_shape())
                                : dims_of(net.activation_shape(options.first_layer - 1), 1);
  set_value_info(g.add_input(), "input", in);
  std::string x = "input";
  if (options.scale_input && options.scale != PixelScale::kNone) {
    // As the data reader: value * a + b, a = 1/255 (unit) or 1/127.5 (symmetric, b = -1).
    const bool unit = options.scale == PixelScale::kUnit;
    const float a = unit ? 1.0f / 255.0f : 1.0f / 127.5f, shift = -1.0f;
    b.node("Mul", "scale.mul", {x, b.add_floats("scale.a", {}, &a, 1)}, "scale.mul.out");
    x = "scale.mul.out";
    if (!unit) {
      b.node("Add", "scale.add", {x, b.add_floats("scale.b", {}, &shift, 1)}, "scale.add.out");
      x = "scale.add.out";
    }
  }
  for (int i = options.first_layer; i < net.num_layers(); ++i) {
    const std::vector<int64_t> out = dims_of(net.activation_shape(i), 1);
    x = add_layer(b, net, i, x, in, out);
    in = out;
  }
  // The last tensor is renamed "output" (an Identity only when the graph would have no node).
  if (g.node_size() == 0 || g.node(g.node_size() - 1).output(0) != x) {
    b.node("Identity", "output", {x}, "output");
  } else {
    g.mutable_node(g.node_size() - 1)->set_output(0, "output");
  }
  set_value_info(g.add_output(), "output", dims_of(net.output_sample_shape()));

  try {
    ox::checker::check_model(model);
    // Strict shape inference on a copy: every node's shapes follow and agree with the output's.
    ox::ModelProto inferred = model;
    ox::shape_inference::InferShapes(inferred, ox::OpSchemaRegistry::Instance(),
                                     ox::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& err) {
    STRATA_THROW("export: the ONNX model of the " << options.graph_name
                                                  << " fails the ONNX checker: " << err.what());
  }
  std::string bytes;
  STRATA_CHECK(model.SerializeToString(&bytes),
               "export: cannot serialize the ONNX model of the " << options.graph_name);
  return bytes;
}

}  // namespace strata
