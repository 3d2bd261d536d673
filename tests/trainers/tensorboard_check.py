"""Checks run folders' TensorBoard events files against their metrics.jsonl and samples/, reading
them with the tensorboard package (as `tensorboard --logdir` does).

  tensorboard_check.py runs RUNS_DIR NAME...   every NAME is a run of RUNS_DIR as TensorBoard
                                               lists it, and each passes `check` below
  tensorboard_check.py none RUN_DIR            RUN_DIR holds no events file

A run passes when: it has exactly one events file; its raw records (no purging) have strictly
increasing steps per tag (no step twice, none out of order); every scalar of every metrics.jsonl
record is there under "<phase>/<name>" at the record's step with the same value (as float32), and
nothing else is; every picture in samples/ is an image "<phase>/samples" at its step, with the
PNG's bytes and size.
"""
import json
import math
import os
import re
import struct
import sys

try:
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import event_file_loader
    from tensorboard.backend.event_processing import event_multiplexer
except ImportError as err:
    print(f"FAIL: cannot import the tensorboard Python package ({err}); "
          "run launch/setup.sh (it installs tensorboard with pip)")
    sys.exit(1)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def events_files(run):
    return sorted(f for f in os.listdir(run) if f.startswith("events.out.tfevents.")
                  and ".tmp-" not in f)


def float32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def check(run):
    name = os.path.basename(run)
    files = events_files(run)
    if len(files) != 1:
        fail(f"{name}: expected one events file, found {files}")
        return
    # Raw records, in file order.
    raw = list(event_file_loader.EventFileLoader(os.path.join(run, files[0])).Load())
    if not raw or raw[0].file_version != "brain.Event:2":
        fail(f"{name}: the first record is not file_version brain.Event:2")
    last = {}
    for e in raw[1:]:
        for v in e.summary.value:
            if v.tag in last and e.step <= last[v.tag]:
                fail(f"{name}: {v.tag} at step {e.step} after step {last[v.tag]}")
            last[v.tag] = e.step

    acc = ea.EventAccumulator(run, size_guidance={k: 0 for k in (
        ea.SCALARS, ea.IMAGES, ea.TENSORS, ea.HISTOGRAMS, ea.COMPRESSED_HISTOGRAMS, ea.AUDIO)},
        purge_orphaned_data=False)
    acc.Reload()
    got = {}
    for tag in acc.Tags()["scalars"]:
        for s in acc.Scalars(tag):
            got[(tag, s.step)] = s.value
    want = {}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            for key, value in rec.items():
                if key in ("step", "epoch", "phase"):
                    continue
                tag = f"{rec['phase']}/{key}"
                if (tag, rec["step"]) in want:
                    fail(f"{name}: metrics.jsonl holds {tag} at step {rec['step']} twice")
                want[(tag, rec["step"])] = value
    if set(got) != set(want):
        fail(f"{name}: scalars differ from metrics.jsonl: only in events "
             f"{sorted(set(got) - set(want))[:5]}, only in metrics.jsonl "
             f"{sorted(set(want) - set(got))[:5]}")
    for key in set(got) & set(want):
        w, g = want[key], got[key]
        if w is None:
            ok = math.isnan(g) or math.isinf(g)
        else:  # metrics.jsonl has 8 significant digits, the event a float32
            ok = g == float32(w) or abs(g - w) <= 2e-7 * max(abs(w), 1e-30)
        if not ok:
            fail(f"{name}: {key[0]} at step {key[1]}: events {g!r}, metrics.jsonl {w!r}")
    if not want:
        fail(f"{name}: metrics.jsonl has no records")
    if not any(t.endswith("/lr") or "/lr_" in t for t, _ in want):
        fail(f"{name}: no learning rate in metrics.jsonl")

    images = {}
    for tag in acc.Tags()["images"]:
        for im in acc.Images(tag):
            images[(tag, im.step)] = im
    pictures = {}
    samples = os.path.join(run, "samples")
    for f in sorted(os.listdir(samples)):
        m = re.fullmatch(r"(.+)_step-(\d+)\.png", f)
        if m:
            pictures[(m.group(1) + "/samples", int(m.group(2)))] = os.path.join(samples, f)
    if set(images) != set(pictures):
        fail(f"{name}: images {sorted(images)} but samples/ holds {sorted(pictures)}")
    for key in set(images) & set(pictures):
        with open(pictures[key], "rb") as f:
            png = f.read()
        width, height = struct.unpack(">II", png[16:24])
        im = images[key]
        if im.encoded_image_string != png or (im.width, im.height) != (width, height):
            fail(f"{name}: image {key} differs from {pictures[key]}")
    print(f"{name}: {len(got)} scalars over {len(last)} tags and {len(images)} images match "
          f"metrics.jsonl and samples/; steps strictly increasing")


def main():
    mode = sys.argv[1]
    if mode == "none":
        found = events_files(sys.argv[2])
        if found:
            fail(f"{sys.argv[2]}: expected no events file, found {found}")
    else:
        root, names = sys.argv[2], sys.argv[3:]
        mux = event_multiplexer.EventMultiplexer()
        mux.AddRunsFromDirectory(root)
        runs = sorted(mux.Runs())
        if runs != sorted(names):
            fail(f"TensorBoard lists the runs {runs} in {root}, expected {sorted(names)}")
        for n in names:
            check(os.path.join(root, n))
    print("tensorboard_check:", "FAILED" if failures else "ok")
    return 1 if failures else 0


sys.exit(main())
