// The networks of a stacked autoencoder, built from its encoder blocks (trainers/kinds/
// stacked_spec.h) with stable layer names, so that weights move between them by parameter name:
//
//   encoder block k (1-based):  enc<k>.flatten (dense after an image) enc<k>.dense | enc<k>.conv,
//                               enc<k>.act (unless linear), enc<k>.pool (pool > 1)
//   its mirror decoder:         dec<k>.upsample, dec<k>.conv | dec<k>.deconv | dec<k>.dense,
//                               dec<k>.act, dec<k>.reshape (back to an image)
//
//   stage k        enc<k> [stage.dropout] dec<k>             input: block k's input (codes)
//   stack          enc1 .. encK [enc<k>.dropout] decK .. dec1   the full mirrored autoencoder
//   encoder(m)     enc1 .. enc<m>                            (the frozen prefix of stage m + 1,
//                                                             and the `encoder` network)
//   classifier     enc1 .. encK [head.flatten] head.dense     class logits on the code
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/sequential.h"
#include "trainers/kinds/stacked_spec.h"

namespace strata {

// Every network is built on `device` (its parameters initialised from `seed`).
//
// Stage k (0-based) of greedy pretraining, built. *code_layer: the index of the layer whose
// output is the stage's code (where sparsity applies).
std::unique_ptr<Sequential> build_stage(const StackedConfig& c, int k, uint64_t seed,
                                        int* code_layer = nullptr, Device device = Device::cpu());
// The whole mirrored stack, built; finetune dropout after every encoder block when > 0.
std::unique_ptr<Sequential> build_stack(const StackedConfig& c, float dropout, uint64_t seed,
                                        Device device = Device::cpu());
// Encoder blocks 0..blocks-1, built (input: the model's input).
std::unique_ptr<Sequential> build_encoder(const StackedConfig& c, int blocks, uint64_t seed,
                                          Device device = Device::cpu());
// The encoder with a Dense(classes) head, built.
// dropout > 0: a Dropout layer after each encoder block; input_dropout > 0: one on the input
// (no parameters: the names still match the stack's).
std::unique_ptr<Sequential> build_classifier(const StackedConfig& c, int64_t classes, float dropout,
                                             float input_dropout, uint64_t seed,
                                             Device device = Device::cpu());

// Copies every parameter of dst whose name also names a parameter of src (same number of
// values, else an error; the networks may live on different devices) and returns how many
// tensors were copied.
int copy_params_by_name(Sequential& dst, Sequential& src);

}  // namespace strata
