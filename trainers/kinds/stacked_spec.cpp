// Strict parsing and shape checking of the stacked_autoencoder kind (trainers/kinds/
// stacked_spec.h).
#include "trainers/kinds/stacked_spec.h"

#include "core/config/schema_recorder.h"
#include "core/error.h"
#include "trainers/kinds/mirror.h"

namespace strata {

namespace {

BlockActivation parse_activation(const YamlMap& m, const std::string& key,
                                 const std::string& fallback) {
  const std::string a =
      m.get_choice_or(key, {"relu", "leaky_relu", "sigmoid", "tanh", "linear"}, fallback);
  if (a == "relu") return BlockActivation::kReLU;
  if (a == "leaky_relu") return BlockActivation::kLeakyReLU;
  if (a == "sigmoid") return BlockActivation::kSigmoid;
  if (a == "tanh") return BlockActivation::kTanh;
  return BlockActivation::kLinear;
}

// One entry of model.encoder, given the shape entering it.
EncoderBlock parse_block(const YamlValue& v, const Shape& in, bool after_dense) {
  const YamlMap m = v.as_map();
  EncoderBlock b;
  b.where = v.where();
  b.in_shape = in;
  const std::string type = m.get_choice("type", {"dense", "conv2d"});
  b.activation = parse_activation(m, "activation", "relu");
  if (type == "dense") {
    b.type = EncoderBlock::Type::kDense;
    b.units = m.get_int("units", IntRange::positive());
    b.out_shape = Shape{b.units};
    m.finish();
    return b;
  }
  b.type = EncoderBlock::Type::kConv;
  if (after_dense || in.rank() != 3)
    m.fail("a conv2d block needs an image input [C, H, W], got " + in.str() +
           "; put conv2d blocks before the dense blocks and give model.input_shape as [C, H, W]");
  b.units = m.get_int("filters", IntRange::positive());
  b.kernel = m.get_int_or("kernel", 3, IntRange::positive());
  b.same = m.get_choice_or("padding", {"same", "valid"}, "same") == "same";
  b.pool = m.get_int_or("pool", 1, IntRange::positive());
  m.finish();
  int64_t hw[2] = {in[1], in[2]};
  for (int64_t& d : hw) {
    if (!b.same) {
      if (d < b.kernel)
        v.fail("the kernel " + std::to_string(b.kernel) + " is larger than the input " + in.str() +
               " with padding: valid; use padding: same or a smaller kernel");
      d = d - b.kernel + 1;
    }
    if (d % b.pool != 0)
      v.fail("the conv output " + std::to_string(hw[0]) + "x" + std::to_string(hw[1]) + " (input " +
             in.str() + ", padding " + (b.same ? "same" : "valid") + ") is not divisible by pool " +
             std::to_string(b.pool) +
             ", so the decoder cannot mirror it exactly; change padding, kernel or pool so that "
             "each side divides by the pool");
    d /= b.pool;
  }
  b.out_shape = Shape{b.units, hw[0], hw[1]};
  return b;
}

// The keys a stage and the fine-tuning share; `base` gives the defaults.
StageOptions parse_stage(const YamlMap& m, const StageOptions& base, bool allow_sparsity) {
  StageOptions s = base;
  s.epochs = m.get_int_or("epochs", base.epochs, IntRange::positive());
  if (auto c = m.find_map("corruption")) s.corruption = parse_corruption(*c);
  if (allow_sparsity) {
    if (auto sp = m.find_map("sparsity")) {
      s.sparsity = parse_sparsity_penalty(*sp);
      sp->finish();  // no `layer`: the penalty is on the stage's code
    }
  }
  s.dropout = m.get_float_or("dropout", base.dropout, {0.0, 1.0, false, true});
  if (auto o = m.find_map("optimizer")) s.optimizer = optimizer_factory(*o);
  return s;
}

}  // namespace

StackedConfig parse_stacked_config(const YamlMap& config, const YamlMap& trainer) {
  StackedConfig c;
  const YamlMap model = config.get_map("model");
  const std::vector<int64_t> in = model.get_int_list("input_shape", IntRange::positive(), 1, 3);
  c.input_shape = in.size() == 1   ? Shape{in[0]}
                  : in.size() == 2 ? Shape{in[0], in[1]}
                                   : Shape{in[0], in[1], in[2]};
  const std::vector<YamlValue> entries = model.get_list("encoder");
  if (entries.empty()) model.fail("model.encoder needs at least one block");
  Shape shape = c.input_shape;
  bool after_dense = false;
  for (const YamlValue& e : entries) {
    c.blocks.push_back(parse_block(e, shape, after_dense));
    after_dense = after_dense || c.blocks.back().type == EncoderBlock::Type::kDense;
    shape = c.blocks.back().out_shape;
  }
  c.output_activation = parse_activation(model, "output_activation", "sigmoid");
  c.upsampling =
      model.get_choice_or("upsampling", {"upsample", "transposed"}, "upsample") == "upsample"
          ? Upsampling::kUpsample
          : Upsampling::kTransposed;
  model.finish();

  StageOptions root;
  root.optimizer = optimizer_factory(config.get_map("optimizer"));
  const int K = static_cast<int>(c.blocks.size());
  const std::optional<YamlMap> pre = trainer.find_map("pretrain");
  const StageOptions pre_base = pre ? parse_stage(*pre, root, true) : root;
  c.stages.assign(K, pre_base);
  if (pre) {
    if (auto v = pre->find("stages")) {
      const std::vector<YamlValue> list = v->as_list();
      if (static_cast<int>(list.size()) != K)
        v->fail("expected one entry per encoder block (" + std::to_string(K) + "), found " +
                std::to_string(list.size()));
      const SchemaDefaultNote inherited("as in trainer.pretrain");
      for (int k = 0; k < K; ++k) {
        const YamlMap m = list[k].as_map();
        c.stages[k] = parse_stage(m, pre_base, true);
        m.finish();
      }
    }
    pre->finish();
  }
  const YamlMap fine = trainer.get_map("finetune");
  StageOptions fine_base = root;
  fine_base.epochs = fine.get_int("epochs", IntRange::positive());
  c.finetune = parse_stage(fine, fine_base, false);
  fine.finish();
  if (auto sup = trainer.find_map("supervised")) {
    SupervisedOptions s;
    s.epochs = sup->get_int("epochs", IntRange::positive());
    s.classes = sup->get_int("classes", {2});
    s.dropout = sup->get_float_or("dropout", 0.0f, {0.0, 1.0, false, true});
    s.input_dropout = sup->get_float_or("input_dropout", 0.0f, {0.0, 1.0, false, true});
    s.optimizer = root.optimizer;
    if (auto o = sup->find_map("optimizer")) s.optimizer = optimizer_factory(*o);
    sup->finish();
    c.supervised = s;
  }
  trainer.finish();

  // A trial build of every stage: the mirrors must give back each stage's input shape.
  for (int k = 0; k < K; ++k) {
    std::unique_ptr<Sequential> stage;
    try {
      stage = build_stage(c, k, 0);
    } catch (const Error& e) {
      STRATA_THROW(c.blocks[k].where << ": the stage of this block cannot be built: "
                                     << e.message());
    }
    if (stage->output_sample_shape() != c.blocks[k].in_shape)
      STRATA_THROW(c.blocks[k].where << ": the mirror decoder gives "
                                     << stage->output_sample_shape().str()
                                     << ", not the block's input " << c.blocks[k].in_shape.str());
  }
  return c;
}

}  // namespace strata
