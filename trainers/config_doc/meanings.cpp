// The meaning of every config key, for docs/configuration.md (trainers/config_doc/config_doc.h).
// The sections, types and defaults come from the parsers; only the words are here (and a type or
// default where a parser reads its key by hand). Entries: {section, key, variant, meaning
// [, type [, default]]}; key "" introduces a section; variant "" applies to every variant.
#include "trainers/config_doc/config_doc.h"

namespace strata {

const std::vector<KeyMeaning>& key_meanings() {
  static const std::vector<KeyMeaning> kMeanings = {
      // ---- top level ----
      {"", "", "",
       "An experiment file is one YAML map (`configs/` has one per kind, with comments). It is "
       "checked completely before any data is read: an unknown key (with a \"did you mean\"), a "
       "wrong type or a value out of range is an error naming the file, line, column and key "
       "path. `strata train --set key.path=value` overrides a key (list entries by index: "
       "`model.layers.2.units=64`), checked the same way, and the run folder's `config.yaml` is "
       "the experiment with every default filled in."},
      {"", "seed", "",
       "Seeds everything random: initial weights, the data order, dropout, corruption and GAN "
       "noise (each keyed by step and sample, so results do not depend on the number of ranks)."},
      {"", "device", "",
       "Where each rank trains: `auto` (its GPU when the build has CUDA and one is visible, else "
       "the CPU), `cpu`, or `cuda` (an error where no GPU is visible or the build has no CUDA). "
       "Under mpirun or srun each rank takes GPU local_rank % (GPUs on its node); hide GPUs with "
       "CUDA_VISIBLE_DEVICES. A run may continue (--resume) on another device than the one it "
       "started on."},
      {"", "precision", "",
       "The precision of the matrix products of dense and convolution layers: `fp32` (fp32 "
       "throughout, also on a GPU: no TF32), `tf32` (their operands rounded to TF32, the tensor "
       "cores' TF32 mode) or `bf16` (operands rounded to bfloat16). Sums, outputs, activations, "
       "BatchNorm, losses and the optimizer stay fp32, and so do the parameters and gradients "
       "(master weights), so a run may continue (--resume) at another precision. The CPU "
       "computes tf32 and bf16 by rounding the operands before its fp32 products (slower than "
       "fp32 there; docs/gpu.md, Precision)."},
      {"", "cuda_graphs", "",
       "On a GPU, capture each phase's whole training step once as a CUDA graph and replay it "
       "(forward, losses, backward, the NCCL all-reduces, the optimizer): the same values bit for "
       "bit, without the per-kernel launch cost. Used with one rank or the NCCL backend; steps "
       "under the MPI backend, and on the CPU, run eagerly whatever this says. false runs every "
       "step eagerly (to debug). May change on --resume (docs/gpu.md, Whole-step CUDA graphs)."},
      {"", "data", "", "The training and test shards."},
      {"", "distributed", "", "How the ranks talk; the defaults suit one node and many."},
      {"", "checkpoint", "", "When checkpoints are written and how many are kept."},
      {"", "logging", "", "Metrics, progress and pictures."},
      {"", "schedule", "", "The learning-rate schedule, applied to every phase from its start."},
      {"", "trainer", "", "What is trained and how: the kind and its own keys."},
      {"", "model", "autoencoder", "The autoencoder, input to reconstruction."},
      {"", "model", "classifier", "The classifier, ending in a dense layer of class logits."},
      {"", "model", "stacked_autoencoder",
       "The encoder blocks; the decoder is their mirror image, built by Strata."},
      {"", "models", "", "The generator and the discriminator."},
      {"", "optimizer", "",
       "The optimizer (for a GAN: of both networks, each with its own state; or give "
       "`optimizers`)."},
      {"", "optimizers", "", "One optimizer per network, instead of `optimizer`."},
      // ---- data ----
      {"data", "train", "",
       "The training shards: an HDF5 file, a folder of `*.h5` files or a glob "
       "(docs/data-format.md; `strata data convert` makes them). Each rank reads its own part."},
      {"data", "test", "",
       "Test shards, evaluated at the end of every epoch (reconstruction error, accuracy) and by "
       "`strata eval`; \"\" for none."},
      {"data", "scale", "",
       "How pixels are scaled: `unit` to [0, 1], `symmetric` to [-1, 1] (the tanh range of a GAN "
       "generator), `none` as stored. Left out, the kind decides: `symmetric` for `gan`, `unit` "
       "otherwise."},
      {"data", "prefetch", "", "Batches each rank's reader thread prepares ahead of the step."},
      {"data", "drop_last", "",
       "Drop the last, smaller global batch of an epoch (every step then has the same batch)."},
      {"data", "images", "", "The name of the images dataset in each shard."},
      {"data", "labels", "", "The name of the labels dataset (needed by classifiers)."},
      {"data", "layout", "",
       "The order of the image dimensions in shards that do not say (no `layout` attribute)."},
      // ---- distributed ----
      {"distributed", "backend", "",
       "`auto`: NCCL when several ranks started by mpirun or srun train on GPUs (a CUDA build, "
       "device auto with a GPU visible, or cuda), else MPI when started by mpirun or srun, else "
       "one local rank; `mpi` (host buffers; a GPU model's gradients staged through pinned host "
       "memory, or passed directly where MPI is CUDA-aware), `nccl` (GPU buffers, one GPU per "
       "rank, captured in the step's CUDA graph), `local` (one rank)."},
      {"distributed", "bucket_mb", "",
       "Gradient bucket size in MiB: buckets are all-reduced while backward continues."},
      {"distributed", "timeout_s", "",
       "A collective that has not finished after this many seconds ends the job with an error "
       "naming it (a dead or stuck rank)."},
      {"distributed", "sync_batchnorm", "",
       "BatchNorm statistics over the global batch (all ranks) instead of each rank's."},
      // ---- checkpoint, logging, schedule ----
      {"checkpoint", "every_epochs", "",
       "Write a checkpoint at the end of every N-th epoch of a phase (and of each phase's last)."},
      {"checkpoint", "every_steps", "", "Also every N steps; 0: never."},
      {"checkpoint", "keep", "", "How many checkpoints stay in the run folder's `checkpoints/`."},
      {"logging", "every_steps", "", "A `metrics.jsonl` record and a progress line every N steps."},
      {"logging", "samples_every_steps", "",
       "Pictures (GAN samples, reconstructions) every N steps; 0: at the end of each epoch."},
      {"logging", "progress", "",
       "`bar`: a progress bar; `lines`: plain lines (logs, SLURM); `auto`: a bar on a terminal."},
      {"logging", "tensorboard", "",
       "TensorBoard's events file in the run folder: the scalars of `metrics.jsonl` and the "
       "pictures; `tensorboard --logdir runs/` shows every run."},
      {"schedule", "kind", "",
       "`constant`; `cosine`: from the optimizer's lr down to `min_factor` times it over the "
       "phase; `step`: times `gamma` every `every_epochs` epochs."},
      {"schedule", "warmup_steps", "", "Linear warm-up from lr / N over the first N steps."},
      {"schedule", "min_factor", "cosine", "The final learning rate as a fraction of lr."},
      {"schedule", "every_epochs", "step", "Epochs between two decays."},
      {"schedule", "gamma", "step", "The factor of each decay."},
      // ---- trainer ----
      {"trainer", "kind", "",
       "`autoencoder` (one model trained to reconstruct its input), `stacked_autoencoder` "
       "(greedy layer-wise pretraining, fine-tuning, optionally a classifier head), `gan`, "
       "`classifier`."},
      {"trainer", "batch_size", "",
       "The global batch: split over the ranks, so results do not depend on their number."},
      {"trainer", "epochs", "", "Passes over the training data."},
      {"trainer", "corruption", "autoencoder",
       "Denoising: corrupt the input, reconstruct the clean one."},
      {"trainer", "sparsity", "autoencoder", "Sparse: a penalty on one layer's activations."},
      {"trainer", "pretrain", "stacked_autoencoder",
       "Greedy layer-wise pretraining: block k is trained as a shallow autoencoder on the codes "
       "of blocks 1..k-1 (frozen). These keys apply to every stage unless `stages` says "
       "otherwise."},
      {"trainer", "finetune", "stacked_autoencoder",
       "Fine-tuning of the stacked encoders and mirrored decoders end to end."},
      {"trainer", "supervised", "stacked_autoencoder",
       "A softmax head on the code, fine-tuned with the encoder for classification (needs "
       "labels)."},
      {"trainer", "latent", "gan", "The size of the noise vector z (a flat generator input).",
       "a positive integer"},
      {"trainer", "latent_shape", "gan",
       "z as a shape, e.g. [100, 1, 1] for a convolutional generator; must equal "
       "`models.generator.input_shape`. Left out (as `latent`), it is that input shape.",
       "a list of 1 to 3 positive integers"},
      {"trainer", "d_steps", "gan", "Discriminator steps per generator step (k)."},
      {"trainer", "label_smoothing", "gan",
       "One-sided label smoothing: the discriminator's target for real images is 1 - s."},
      {"trainer", "init", "gan",
       "`dcgan`: weights N(0, 0.02), BatchNorm gamma N(1, 0.02), biases 0; `default`: each "
       "layer's own `init`."},
      {"trainer", "samples", "gan", "The grid of generated samples written to `samples/`."},
      {"trainer.samples", "count", "", "Images in the grid (a fixed z, so grids are comparable)."},
      {"trainer.samples", "columns", "", "Images per row."},
      {"trainer.sparsity", "layer", "",
       "The layer whose output is penalised: its `name` or index (negative from the end)."},
      // ---- stacked autoencoder ----
      {"model", "input_shape", "", "One sample: [features] or [C, H, W]."},
      {"model", "encoder", "",
       "The encoder blocks, in order; each block is pretrained as one stage. Convolutional "
       "blocks come before dense ones."},
      {"model", "output_activation", "", "The activation of the reconstruction."},
      {"model", "upsampling", "",
       "How the decoder of a pooling block goes back up: `upsample` (nearest, then a "
       "convolution) or `transposed` (a transposed convolution)."},
      {"model.encoder[]", "type", "", "`dense` or `conv2d` (a convolution, then max pooling)."},
      {"model.encoder[]", "activation", "", "The block's activation (its mirror uses the same)."},
      {"model.encoder[]", "units", "dense", "Units: the size of the block's code."},
      {"model.encoder[]", "filters", "conv2d", "Output channels."},
      {"model.encoder[]", "kernel", "conv2d", "The square kernel's side."},
      {"model.encoder[]", "padding", "conv2d",
       "`same` keeps the size, `valid` shrinks it by kernel - 1."},
      {"model.encoder[]", "pool", "conv2d", "Max pooling window and stride (1: none)."},
      {"trainer.pretrain", "epochs", "", "Epochs of each stage."},
      {"trainer.pretrain", "corruption", "", "Denoising stages."},
      {"trainer.pretrain", "sparsity", "", "A penalty on each stage's code."},
      {"trainer.pretrain", "dropout", "",
       "Dropout on each stage's code while it is trained (0: none)."},
      {"trainer.pretrain", "optimizer", "", "The optimizer of every stage.", nullptr,
       "the top-level optimizer"},
      {"trainer.pretrain", "stages", "",
       "One map per encoder block, overriding the keys above for that stage.",
       "a list of maps, one per block"},
      {"trainer.pretrain.stages[]", "epochs", "", "This stage's epochs."},
      {"trainer.pretrain.stages[]", "corruption", "", "This stage's corruption.", nullptr,
       "as in trainer.pretrain"},
      {"trainer.pretrain.stages[]", "sparsity", "", "This stage's sparsity penalty.", nullptr,
       "as in trainer.pretrain"},
      {"trainer.pretrain.stages[]", "dropout", "", "Dropout on this stage's code."},
      {"trainer.pretrain.stages[]", "optimizer", "", "This stage's optimizer.", nullptr,
       "as in trainer.pretrain"},
      {"trainer.finetune", "epochs", "", "Epochs of end-to-end fine-tuning."},
      {"trainer.finetune", "corruption", "", "Denoising during fine-tuning."},
      {"trainer.finetune", "dropout", "", "Dropout on every code during fine-tuning."},
      {"trainer.finetune", "optimizer", "", "The optimizer of fine-tuning.", nullptr,
       "the top-level optimizer"},
      {"trainer.supervised", "epochs", "", "Epochs of supervised fine-tuning."},
      {"trainer.supervised", "classes", "", "Classes (labels 0 .. classes-1)."},
      {"trainer.supervised", "dropout", "", "Dropout on the code, before the head."},
      {"trainer.supervised", "input_dropout", "", "Dropout on the input images."},
      {"trainer.supervised", "optimizer", "", "The optimizer of supervised fine-tuning.", nullptr,
       "the top-level optimizer"},
      // ---- gan ----
      {"models", "generator", "", "G: from z (its input_shape) to an image."},
      {"models", "discriminator", "",
       "D: from an image (G's output shape) to one logit (no sigmoid: the loss takes logits)."},
      {"optimizers", "generator", "", "G's optimizer."},
      {"optimizers", "discriminator", "", "D's optimizer."},
      // ---- shared: model ----
      {"@model", "", "",
       "A sequential model: explicit layers in order, each with forward and backward; shapes are "
       "checked layer by layer when the file is loaded."},
      {"@model", "input_shape", "", "One sample: [features] or [C, H, W] (no batch dimension)."},
      {"@model", "layers", "", "The layers, in order."},
      {"@model.layers[]", "", "", "One layer: its `type` and that type's keys."},
      {"@model.layers[]", "type", "", "The layer type."},
      {"@model.layers[]", "name", "",
       "Names the layer and its parameters (`NAME.weight`); must be unique.", "a string",
       "INDEX.TYPE"},
      {"@model.layers[]", "units", "dense", "Output features."},
      {"@model.layers[]", "filters", "", "Output channels."},
      {"@model.layers[]", "kernel", "", "Kernel size: k or [kh, kw]."},
      {"@model.layers[]", "kernel", "maxpool2d", "Pooling window: k or [kh, kw].",
       "a positive integer or [h, w]", "2"},
      {"@model.layers[]", "stride", "", "Stride: s or [sh, sw].", "a positive integer or [h, w]",
       "1"},
      {"@model.layers[]", "stride", "maxpool2d", "Stride: s or [sh, sw].",
       "a positive integer or [h, w]", "the kernel"},
      {"@model.layers[]", "padding", "conv2d",
       "`same` (output size = ceil(input / stride)), `valid` (none), or explicit zero padding "
       "p or [ph, pw].",
       "same, valid, or a non-negative integer or [h, w]", "valid"},
      {"@model.layers[]", "padding", "conv_transpose2d",
       "The padding p or [ph, pw] of the convolution it transposes, or `same` (output = input x "
       "stride).",
       "a non-negative integer or [h, w], or same", "0"},
      {"@model.layers[]", "padding", "maxpool2d", "Padding p or [ph, pw] (padded cells never win).",
       "a non-negative integer or [h, w]", "0"},
      {"@model.layers[]", "output_padding", "conv_transpose2d",
       "Extra rows and columns on the output's bottom and right (smaller than stride; not with "
       "padding: same).",
       "a non-negative integer or [h, w]", "0"},
      {"@model.layers[]", "bias", "", "Whether the layer adds a learned bias."},
      {"@model.layers[]", "init", "",
       "Weight initialisation: `glorot` (uniform), `he` (normal), `normal` (N(0, init_std)), "
       "`zeros`, `ones`, `uniform_fan_in` (U(±1/sqrt(fan_in)))."},
      {"@model.layers[]", "init_std", "", "The standard deviation of init: normal (only with it).",
       "a number > 0", "0.02"},
      {"@model.layers[]", "momentum", "batchnorm",
       "Weight of the batch in the running statistics (PyTorch's convention)."},
      {"@model.layers[]", "eps", "batchnorm", "Added to the variance."},
      {"@model.layers[]", "affine", "batchnorm", "Learned scale (gamma) and shift (beta)."},
      {"@model.layers[]", "rate", "dropout", "The fraction of activations zeroed in training."},
      {"@model.layers[]", "shape", "reshape",
       "The output shape without the batch dimension; one entry may be -1."},
      {"@model.layers[]", "scale", "upsample2d", "Nearest-neighbour factor: s or [sh, sw].",
       "a positive integer or [h, w]", "2"},
      {"@model.layers[]", "slope", "leaky_relu", "The slope for negative inputs."},
      // ---- shared: corruption, sparsity, optimizer ----
      {"@corruption", "", "", "Corruption of the input for denoising autoencoders."},
      {"@corruption", "kind", "",
       "`mask`: each input zeroed with probability p; `gaussian`: N(0, stddev) noise added; "
       "`none`."},
      {"@corruption", "p", "mask", "The probability of zeroing each input."},
      {"@corruption", "stddev", "gaussian", "The noise's standard deviation."},
      {"@sparsity", "", "",
       "A sparsity penalty on activations, added to the reconstruction loss (over the global "
       "batch)."},
      {"@sparsity", "kind", "",
       "`kl`: KL divergence of the mean activation (in (0, 1): sigmoid units) from `target`; "
       "`l1`: the mean absolute activation."},
      {"@sparsity", "target", "kl", "The target mean activation (rho)."},
      {"@sparsity", "weight", "", "The penalty's weight (beta)."},
      {"@optimizer", "", "",
       "An optimizer, run as one fused update over the model's flat parameter buffer."},
      {"@optimizer", "kind", "",
       "`adam`, `adamw` (decoupled weight decay) or `sgd` (with momentum, optionally Nesterov)."},
      {"@optimizer", "lr", "", "The learning rate (scaled by `schedule`)."},
      {"@optimizer", "momentum", "sgd", "Momentum (0: plain SGD)."},
      {"@optimizer", "nesterov", "sgd", "Nesterov momentum (needs momentum > 0)."},
      {"@optimizer", "weight_decay", "",
       "L2 weight decay (adam, sgd: added to the gradient; adamw: decoupled, lr x wd x w)."},
      {"@optimizer", "beta1", "", "The decay of the first-moment average."},
      {"@optimizer", "beta2", "", "The decay of the second-moment average."},
      {"@optimizer", "eps", "", "Added to the denominator."},
  };
  return kMeanings;
}

}  // namespace strata
