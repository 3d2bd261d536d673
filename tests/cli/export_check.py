"""Runs an exported ONNX model in ONNX Runtime on the inputs onnx_reference wrote and compares its
outputs elementwise with Strata's: |ort - strata| <= ATOL + RTOL * |strata| for every value.
Also checks the model's interface: one input "input" and one output "output", float32, with a
dynamic first (batch) dimension and the sample shape of the reference.
Usage: export_check.py MODEL.onnx PREFIX [--encode] [--mse VALUE SCALE] [--accuracy VALUE]
  PREFIX.input.npy, PREFIX.output.npy: onnx_reference's files; --encode: the outputs are also
  compared with PREFIX.encode.npy (what `strata encode` wrote); --mse: the reconstruction MSE of
  onnxruntime's outputs against the inputs scaled by SCALE (unit, symmetric, none) equals VALUE
  (what `strata eval` printed) to 1e-4 relative; --accuracy: the fraction of onnxruntime's
  arg-max logits equal to PREFIX.labels.npy is VALUE (the same samples right).
Exits 1 on a mismatch, 2 when onnxruntime is missing (launch/setup.sh installs it)."""

import sys

import numpy as np

RTOL = 1e-4
ATOL = 1e-5

try:
    import onnxruntime as ort
except ImportError as e:
    print(f"FAIL: cannot import onnxruntime ({e}); run launch/setup.sh, which installs it "
          "(python3 -m pip install onnxruntime)")
    sys.exit(2)


def compare(name, got, want):
    if got.shape != want.shape:
        print(f"FAIL: {name}: shape {got.shape}, expected {want.shape}")
        return False
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bound = ATOL + RTOL * np.abs(want.astype(np.float64))
    bad = int(np.count_nonzero(err > bound))
    rel = float(np.max(err / np.maximum(np.abs(want), 1e-30))) if want.size else 0.0
    print(f"{name}: {want.size} values, max abs diff {float(err.max()):.3g}, "
          f"max rel diff {rel:.3g}, outside tolerance {bad}")
    return bad == 0


def main():
    model, prefix = sys.argv[1], sys.argv[2]
    x = np.load(prefix + ".input.npy")
    want = np.load(prefix + ".output.npy")
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    ins, outs = sess.get_inputs(), sess.get_outputs()
    ok = True
    if [i.name for i in ins] != ["input"] or [o.name for o in outs] != ["output"]:
        print(f"FAIL: inputs {[i.name for i in ins]}, outputs {[o.name for o in outs]}")
        return 1
    for v, ref in ((ins[0], x), (outs[0], want)):
        if v.type != "tensor(float)" or v.shape[0] != "batch" or list(v.shape[1:]) != list(
                ref.shape[1:]):
            print(f"FAIL: {v.name} is {v.type} {v.shape}, expected float [batch, "
                  f"{list(ref.shape[1:])}]")
            ok = False
    got = sess.run(["output"], {"input": x})[0]
    ok &= compare("onnxruntime vs strata", got, want)
    # A batch of one and of another size give the same rows (the batch dimension is dynamic).
    got1 = sess.run(["output"], {"input": x[:1]})[0]
    ok &= compare("batch of 1", got1, want[:1])
    args = sys.argv[3:]
    if "--encode" in args:
        ok &= compare("onnxruntime vs strata encode", got, np.load(prefix + ".encode.npy"))
    if "--mse" in args:
        value, scale = float(args[args.index("--mse") + 1]), args[args.index("--mse") + 2]
        a, b = {"unit": (1 / 255, 0.0), "symmetric": (1 / 127.5, -1.0), "none": (1.0, 0.0)}[scale]
        xs = x.astype(np.float64).reshape(got.shape) * a + b
        mse = float(np.mean((got.astype(np.float64) - xs) ** 2))
        print(f"reconstruction MSE: onnxruntime {mse:.9g}, strata eval {value:.9g}")
        ok &= abs(mse - value) <= 1e-4 * abs(value)
    if "--accuracy" in args:
        value = float(args[args.index("--accuracy") + 1])
        labels = np.load(prefix + ".labels.npy").astype(np.int64)
        right = int(np.count_nonzero(np.argmax(got, axis=1) == labels))
        print(f"accuracy: onnxruntime {right}/{labels.size}, strata eval {value:.9g}")
        ok &= round(value * labels.size) == right
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
