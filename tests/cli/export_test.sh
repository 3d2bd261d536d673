#!/usr/bin/env bash
# strata export, checked against ONNX Runtime (a runtime Strata did not write):
#   - every part of every configs/smoke/*.yaml run, and of short runs of
#     configs/fashion_stacked_ae_classifier.yaml and configs/fashion_dcgan28.yaml (a subset of
#     Fashion-MNIST when it is installed, else synthetic images of its shape), is exported and run
#     in onnxruntime on the inputs of strata encode / eval (the data set in order) and strata sample
#     (the run's sample-grid latents); its outputs match Strata's elementwise within
#     export_check.py's tolerance, the encoder's also those `strata encode` wrote, and the
#     reconstruction MSE or accuracy of onnxruntime's outputs is what `strata eval` prints;
#   - every file passes the ONNX library's model checker as written (onnx_reference --model);
#   - every part a run does not have is refused, naming the part and the parts the run has;
#   - a run trained on the emulated device (a GPU's stand-in) exports the CPU run's bytes;
#   - a folder without a checkpoint and an output that cannot be written: clear errors, no file.
# Usage: export_test.sh STRATA ONNX_REFERENCE SOURCE_DIR
set -uo pipefail
strata=$1
reference=$2
src=$3
source "$src/tests/support/test_lib.sh"
make_workdir export_test
export OMP_NUM_THREADS=1
status=0
fail() { echo "FAIL: $*"; status=1; }

# Importing onnxruntime writes a session file (.ses) into $TMPDIR: python runs with TMPDIR in
# the work folder, which goes at exit.
py=(env "TMPDIR=$work" python3)
"${py[@]}" -c "import onnxruntime, numpy" 2> /dev/null || {
  echo "FAIL: python3 cannot import onnxruntime (and numpy); run launch/setup.sh, which installs"
  echo "      them (python3 -m pip install onnxruntime)"
  exit 1
}
check=("${py[@]}" "$src/tests/cli/export_check.py")
all_parts=(encoder decoder autoencoder generator discriminator classifier)

"$strata" data convert --format synthetic --count 96 --shape 1,8,8 --classes 4 --seed 5 \
  --out "$work/train" > /dev/null || exit 1
"$strata" data convert --format synthetic --count 40 --shape 1,8,8 --classes 4 --seed 6 \
  --out "$work/test" > /dev/null || exit 1

# train NAME CONFIG DEVICE [ARGS...]: DEVICE cpu or emulated.
train() {
  local name=$1 config=$2 device=$3
  shift 3
  if [[ $device == emulated ]]; then
    STRATA_TEST_DEVICE=emulated "$strata" train "$config" --set device=cuda \
      --run-dir "$work/$name" "$@" > "$work/$name.log" 2>&1
  else
    STRATA_TEST_DEVICE= "$strata" train "$config" --set device=cpu --run-dir "$work/$name" "$@" \
      > "$work/$name.log" 2>&1
  fi || { fail "training $name"; tail -n 5 "$work/$name.log"; return 1; }
}

# check_run NAME DATA PARTS...: exports every part (PARTS present, the others refused) and
# compares each with Strata in onnxruntime.
check_run() {
  local name=$1 data=$2
  shift 2
  local parts=" $* " part out metric="" value=""
  # What strata eval reports for the run (not for a GAN: that needs a classifier run).
  if [[ $parts != *" generator "* ]]; then
    out=$("$strata" eval --checkpoint "$work/$name" --data "$data" | tail -n 1) \
      || fail "eval $name"
    metric=$(sed -E 's/.*"metric": "([a-z_]*)".*/\1/' <<< "$out")
    value=$(sed -E 's/.*"value": ([^,]*),.*/\1/' <<< "$out")
  fi
  for part in "${all_parts[@]}"; do
    if [[ $parts != *" $part "* ]]; then
      out=$("$strata" export --checkpoint "$work/$name" --part "$part" --out "$work/x.onnx" 2>&1) \
        && fail "$name: exporting a $part it does not have"
      [[ $out == *"has no $part network; its parts: "* ]] || fail "$name $part refusal: $out"
      [[ ! -e $work/x.onnx ]] || fail "$name: a refused export left a file"
      continue
    fi
    out=$("$strata" export --checkpoint "$work/$name" --part "$part" \
      --out "$work/$name.$part.onnx" 2>&1) || { fail "export $name $part: $out"; continue; }
    echo "$out" | head -n 1
    local extra=() eval_check=()
    if [[ $part == autoencoder && $metric == reconstruction_mse ]]; then
      eval_check=(--mse "$value" "$(head -n 1 <<< "$out" | sed -E 's/.*scaled ([a-z]*) in the graph.*/\1/')")
    elif [[ $part == classifier && $metric == accuracy ]]; then
      eval_check=(--accuracy "$value")
    fi
    if [[ $part == encoder ]]; then
      "$strata" encode --checkpoint "$work/$name" --data "$data" --out "$work/$name.codes.h5" \
        > /dev/null || fail "encode $name"
      extra=(--codes "$work/$name.codes.h5")
    fi
    "$reference" "$work/$name" "$part" "$work/$name.$part" --data "$data" --count 24 \
      --model "$work/$name.$part.onnx" "${extra[@]}" || { fail "onnx_reference $name $part"; continue; }
    echo "== $name $part"
    "${check[@]}" "$work/$name.$part.onnx" "$work/$name.$part" \
      $([[ $part == encoder ]] && echo --encode) "${eval_check[@]}" \
      || fail "$name $part in onnxruntime"
  done
}

declare -A smoke_parts=(
  [autoencoder]="autoencoder"
  [classifier]="classifier"
  [conv_stacked_ae]="encoder decoder autoencoder"
  [gan]="generator discriminator"
  [stacked_ae]="encoder decoder autoencoder classifier"
)
data_sets=(--set "data.train=$work/train" --set "data.test=$work/test" --set logging.progress=lines)
for name in autoencoder classifier conv_stacked_ae gan stacked_ae; do
  train "$name" "$src/configs/smoke/$name.yaml" cpu "${data_sets[@]}" || continue
  # shellcheck disable=SC2086
  check_run "$name" "$work/test" ${smoke_parts[$name]}
  # The same run on the emulated device exports the same bytes.
  train "$name-emu" "$src/configs/smoke/$name.yaml" emulated "${data_sets[@]}" || continue
  for part in ${smoke_parts[$name]}; do
    "$strata" export --checkpoint "$work/$name-emu" --part "$part" --out "$work/emu.onnx" \
      > /dev/null || fail "export $name-emu $part"
    cmp -s "$work/emu.onnx" "$work/$name.$part.onnx" \
      || fail "$name $part: the emulated device's run exports other bytes than the CPU's"
  done
  echo "== $name: the emulated device's run exports the CPU run's bytes"
done

# Every layer kind and padding form in one autoencoder on 1x9x9 images: 'same' padding with the
# odd pad at the bottom/right, a strided 'valid' convolution leaving rows unread, padded max
# pooling, a non-square upsampling, a transposed convolution with a kernel smaller than its stride
# (rows of bias only: output_padding) and one with explicit padding and output_padding, BatchNorm
# 2-D without affine and 1-D, dropout, leaky_relu, flatten and reshape.
cat > "$work/all_layers.yaml" << 'EOF'
seed: 3
data: {train: x, test: x, scale: symmetric}
trainer: {kind: autoencoder, batch_size: 16, epochs: 2}
optimizer: {kind: adam, lr: 0.01}
model:
  input_shape: [1, 9, 9]
  layers:
    - {type: conv2d, filters: 4, kernel: 4, stride: 2, padding: same}
    - {type: batchnorm, affine: false, eps: 0.001}
    - {type: leaky_relu, slope: 0.3}
    - {type: maxpool2d, kernel: 3, stride: 2, padding: 1}
    - {type: dropout, rate: 0.2}
    - {type: upsample2d, scale: [2, 3]}
    - {type: conv_transpose2d, filters: 3, kernel: 1, stride: 2, padding: same}
    - {type: relu}
    - {type: conv2d, filters: 2, kernel: 3, stride: 2, padding: valid}
    - {type: conv_transpose2d, filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}
    - {type: sigmoid}
    - {type: flatten}
    - {type: dense, units: 16}
    - {type: batchnorm, momentum: 0.5}
    - {type: tanh}
    - {type: dense, units: 81, bias: false}
    - {type: sigmoid}
    - {type: reshape, shape: [1, 9, -1]}
EOF
"$strata" data convert --format synthetic --count 64 --shape 1,9,9 --seed 9 --out "$work/d9" \
  > /dev/null || exit 1
d9=(--set "data.train=$work/d9" --set "data.test=$work/d9" --set logging.progress=lines)
train all_layers "$work/all_layers.yaml" cpu "${d9[@]}" && check_run all_layers "$work/d9" autoencoder
if train all_layers-emu "$work/all_layers.yaml" emulated "${d9[@]}"; then
  "$strata" export --checkpoint "$work/all_layers-emu" --part autoencoder --out "$work/emu.onnx" \
    > /dev/null || fail "export all_layers-emu"
  cmp -s "$work/emu.onnx" "$work/all_layers.autoencoder.onnx" \
    || fail "all_layers: the emulated device's run exports other bytes than the CPU's"
fi

# Short real runs: a few hundred Fashion-MNIST images (or synthetic ones of the same shape).
fashion=/usr/share/datasets/fashion-mnist
if [[ -f $fashion/train-images-idx3-ubyte.gz ]]; then
  python3 - "$fashion" "$work" << 'EOF' || exit 1
import gzip, sys
src, out = sys.argv[1], sys.argv[2]
for name, n in (("train", 256), ("t10k", 64)):
    for kind, head, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        with gzip.open(f"{src}/{name}-{kind}-ubyte.gz", "rb") as f:
            data = bytearray(f.read(head + n * size))
        data[4:8] = n.to_bytes(4, "big")
        with open(f"{out}/{name}-{kind}", "wb") as f:
            f.write(data)
EOF
  for s in train t10k; do
    "$strata" data convert --format idx --images "$work/$s-images-idx3" \
      --labels "$work/$s-labels-idx1" --out "$work/f_$s" > /dev/null || exit 1
  done
  echo "== Fashion-MNIST subset: 256 training and 64 test images"
else
  "$strata" data convert --format synthetic --count 256 --shape 1,28,28 --classes 10 --seed 7 \
    --out "$work/f_train" > /dev/null || exit 1
  "$strata" data convert --format synthetic --count 64 --shape 1,28,28 --classes 10 --seed 8 \
    --out "$work/f_t10k" > /dev/null || exit 1
  echo "== Fashion-MNIST is not installed: synthetic 1x28x28 images instead"
fi
fsets=(--set "data.train=$work/f_train" --set "data.test=$work/f_t10k" --set logging.progress=lines
  --set trainer.batch_size=64)
train fashion_sae "$src/configs/fashion_stacked_ae_classifier.yaml" cpu "${fsets[@]}" \
  --set trainer.pretrain.stages.0.epochs=1 --set trainer.pretrain.stages.1.epochs=1 \
  --set trainer.pretrain.stages.2.epochs=1 --set trainer.pretrain.stages.3.epochs=1 \
  --set trainer.finetune.epochs=1 --set trainer.supervised.epochs=1 \
  && check_run fashion_sae "$work/f_t10k" encoder decoder autoencoder classifier
train fashion_dcgan "$src/configs/fashion_dcgan28.yaml" cpu "${fsets[@]}" --set trainer.epochs=1 \
  && check_run fashion_dcgan "$work/f_t10k" generator discriminator

# Errors: a non-zero exit, a message naming the problem, no file.
mkdir -p "$work/empty/checkpoints"
out=$("$strata" export --checkpoint "$work/empty" --part encoder --out "$work/x.onnx" 2>&1) \
  && fail "export from a folder without a checkpoint"
[[ $out == *"no checkpoint found"* ]] || fail "no-checkpoint message: $out"
out=$("$strata" export --checkpoint "$work/gan" --part generator --out "$work/no/such/g.onnx" 2>&1) \
  && fail "export to a folder that does not exist"
[[ $out == *"cannot write $work/no/such/g.onnx"* ]] || fail "unwritable-output message: $out"
out=$("$strata" export --checkpoint "$work/gan" --part gen --out "$work/x.onnx" 2>&1) \
  && fail "export of an unknown part"
[[ $out == *"--part"* ]] || fail "unknown-part message: $out"
[[ ! -e $work/x.onnx ]] || fail "a failed export left a file"
echo "$out"

((status == 0)) && echo "export_test: all checks passed"
exit $status
