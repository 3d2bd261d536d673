// The probe experiments of `strata config-doc`: between them they take every branch of every
// parser (each kind, layer type, optimizer, schedule, corruption and sparsity kind), so that every
// key is read once with the recorder on. They are parsed, never run. A new key or branch needs a
// probe here that reaches it; tests/trainers/config_doc/ checks that every key named in a parser's
// source appears in the generated reference.
#include "trainers/config_doc/config_doc.h"

namespace strata {

const std::vector<SchemaProbe>& schema_probes() {
  static const std::vector<SchemaProbe> kProbes = {
      {"autoencoder, every layer type", R"(
seed: 1
data: {train: d, test: t, scale: unit, prefetch: 2, drop_last: true, images: images,
       labels: labels, layout: NHWC}
distributed: {backend: auto, bucket_mb: 25, timeout_s: 300, sync_batchnorm: false}
checkpoint: {every_epochs: 1, every_steps: 0, keep: 3}
logging: {every_steps: 50, samples_every_steps: 0, progress: auto, tensorboard: true}
schedule: {kind: cosine, warmup_steps: 0, min_factor: 0}
trainer:
  kind: autoencoder
  batch_size: 8
  epochs: 1
  corruption: {kind: mask, p: 0.2}
  sparsity: {kind: kl, target: 0.05, weight: 0.1, layer: code}
optimizer: {kind: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0}
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: conv2d, filters: 2, kernel: 3, stride: 1, padding: same, bias: true, init: normal,
       init_std: 0.02, name: c1}
    - {type: batchnorm, momentum: 0.1, eps: 0.00001, affine: true}
    - {type: relu}
    - {type: maxpool2d, kernel: 2, stride: 2, padding: 0}
    - {type: flatten}
    - {type: dense, units: 4, bias: true, init: glorot}
    - {type: sigmoid, name: code}
    - {type: dropout, rate: 0.1}
    - {type: dense, units: 32}
    - {type: tanh}
    - {type: reshape, shape: [2, 4, 4]}
    - {type: upsample2d, scale: 2}
    - {type: conv_transpose2d, filters: 1, kernel: 3, stride: 1, padding: 1, output_padding: 0}
    - {type: leaky_relu, slope: 0.01}
)"},
      {"autoencoder, the other kinds of corruption, sparsity, optimizer and schedule", R"(
data: {train: d}
schedule: {kind: step, every_epochs: 1, gamma: 0.1}
trainer:
  kind: autoencoder
  batch_size: 8
  corruption: {kind: gaussian, stddev: 0.1}
  sparsity: {kind: l1, weight: 0.001, layer: 1}
optimizer: {kind: adamw, lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 0.00000001, weight_decay: 0}
model:
  input_shape: [4]
  layers: [{type: dense, units: 2}, {type: relu}, {type: dense, units: 4}]
)"},
      {"autoencoder without corruption, constant schedule", R"(
data: {train: d}
schedule: {kind: constant}
trainer: {kind: autoencoder, batch_size: 8, corruption: {kind: none}}
optimizer: {kind: adam, lr: 0.001}
model: {input_shape: [4], layers: [{type: dense, units: 4}]}
)"},
      {"stacked_autoencoder, conv and dense blocks, every stage key", R"(
data: {train: d, test: t}
optimizer: {kind: adam, lr: 0.001}
model:
  input_shape: [1, 8, 8]
  encoder:
    - {type: conv2d, filters: 2, kernel: 3, padding: same, pool: 2, activation: relu}
    - {type: dense, units: 4, activation: linear}
  output_activation: sigmoid
  upsampling: upsample
trainer:
  kind: stacked_autoencoder
  batch_size: 8
  pretrain:
    epochs: 1
    corruption: {kind: mask, p: 0.1}
    sparsity: {kind: l1, weight: 0.001}
    dropout: 0.1
    optimizer: {kind: adam, lr: 0.001}
    stages:
      - {epochs: 1}
      - {epochs: 1, dropout: 0, corruption: {kind: none}, sparsity: {kind: l1, weight: 0.01},
         optimizer: {kind: sgd, lr: 0.01}}
  finetune: {epochs: 1, corruption: {kind: none}, dropout: 0, optimizer: {kind: adam, lr: 0.001}}
  supervised: {epochs: 1, classes: 4, dropout: 0.3, input_dropout: 0.1,
               optimizer: {kind: adamw, lr: 0.001}}
)"},
      {"classifier", R"(
data: {train: d, test: t}
trainer: {kind: classifier, batch_size: 8, epochs: 1}
optimizer: {kind: adam, lr: 0.01}
model: {input_shape: [4], layers: [{type: dense, units: 8}, {type: relu}, {type: dense, units: 3}]}
)"},
      {"gan with one optimizer section and a flat latent vector", R"(
data: {train: d}
trainer: {kind: gan, batch_size: 8, epochs: 1, latent: 4, d_steps: 1, label_smoothing: 0,
          init: default, samples: {count: 64, columns: 8}}
optimizer: {kind: adam, lr: 0.0002, beta1: 0.5}
models:
  generator: {input_shape: [4], layers: [{type: dense, units: 16}, {type: tanh}]}
  discriminator: {input_shape: [16], layers: [{type: dense, units: 1}]}
)"},
      {"gan with an optimizer per network and an image-shaped latent", R"(
data: {train: d}
trainer: {kind: gan, batch_size: 8, epochs: 1, latent_shape: [4, 1, 1], init: dcgan}
optimizers:
  generator: {kind: adam, lr: 0.0002, beta1: 0.5}
  discriminator: {kind: adam, lr: 0.0002, beta1: 0.5}
models:
  generator:
    input_shape: [4, 1, 1]
    layers: [{type: conv_transpose2d, filters: 1, kernel: 4}, {type: tanh}]
  discriminator:
    input_shape: [1, 4, 4]
    layers: [{type: flatten}, {type: dense, units: 1}]
)"},
  };
  return kProbes;
}

}  // namespace strata
