#!/usr/bin/python3
"""The benchmark of `strata bench` in PyTorch eager, the reference on the same CPU cores or GPU.

Same four models as bench/models.cpp (bench/MODELS.md), same batch, optimizer, loss,
training step, warm-up, timed windows and median, and the same JSON line:
  {"model", "device", "precision", "batch", "samples_per_s", "peak_rss_mb", "threads", "steps",
   "windows", "step_ms_median", "peak_bytes", "peak_reserved_bytes"}
  (+ on CUDA: "peak_gpu_mb", "gpu", "torch", "cuda", "cudnn")
peak_bytes: torch.cuda.max_memory_allocated() over the timed steps (the caching allocator's
tensors, the figure to set beside Strata's peak_bytes); peak_reserved_bytes:
torch.cuda.max_memory_reserved() (what the caching allocator held from the driver). Both null
on the CPU.

CPU, with Debian's interpreter, which has python3-torch (1.13.1):
  /usr/bin/python3 bench/pytorch_ref.py --model dcgan28 --steps 5 --threads 2
GPU (a PyTorch with CUDA; timed after torch.cuda.synchronize(), peak memory from
torch.cuda.max_memory_allocated):
  python3 bench/pytorch_ref.py --device cuda --model sae_finetune --precision bf16
Precision on CUDA: fp32 (TF32 off for matmuls and cuDNN: true fp32), tf32 (both on), bf16
(autocast to bfloat16 around forward and loss; fp32 weights, optimizer and master copies).
The loss is read back (a sync) only at the end of each timed window, as a training loop that
logs every few steps would, so the GPU queue is not drained after every step.

Threads: torch.set_num_threads(N) sets ATen's OpenMP pool (oneDNN convolutions, elementwise
ops); Debian's torch calls OpenBLAS's pthread build for GEMMs, whose pool only follows
OPENBLAS_NUM_THREADS, so that is set before torch is imported. The two pools share the cores, and
OpenMP threads spin after each parallel region, taking the cores from OpenBLAS's threads: on a
2-core machine OMP_WAIT_POLICY=PASSIVE made this PyTorch 1.3-2.3x faster on sae_finetune and
dcgan28, so it is the default here (an OMP_WAIT_POLICY in the environment wins). Strata has one
pool (OpenBLAS's OpenMP build) and runs with OpenMP's default policy.
"""
import argparse
import contextlib
import ctypes
import json
import os
import resource
import statistics
import sys
import time

MODELS = {
    # name: (kind, batch, lr, beta1, corruption)
    "sae_finetune": ("ae", 256, 1e-3, 0.9, 0.0),
    "sae_layer1": ("ae", 256, 1e-3, 0.9, 0.3),
    "dcgan28": ("gan", 256, 2e-4, 0.5, 0.0),
    "dcgan64": ("gan", 128, 2e-4, 0.5, 0.0),
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"],
                   help="CUDA only: fp32 (no TF32), tf32, or bf16 autocast")
    p.add_argument("--steps", type=int, default=10, help="timed steps per window")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--windows", "--repeats", type=int, default=3, help="timed windows (median)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: all cores)")
    p.add_argument("--batch", type=int, default=0, help="batch size (default: MODELS.md's)")
    p.add_argument("--data-batches", type=int, default=4, help="resident batches, cycled")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", action="store_true", help="per-op times to stderr after the run")
    a = p.parse_args(argv)
    if a.steps < 1 or a.warmup < 0 or a.windows < 1 or a.threads < 0 or a.batch < 0:
        p.error("--steps and --windows must be >= 1; --warmup, --threads, --batch >= 0")
    if a.device == "cpu" and a.precision != "fp32":
        p.error("--precision applies to --device cuda only")
    return a


ARGS = parse_args(sys.argv[1:])
THREADS = ARGS.threads or os.cpu_count()
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402


def sae_finetune():
    dims = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
    layers = []
    for i in range(8):
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        if i == 7:
            layers.append(nn.Sigmoid())
        elif dims[i + 1] != 30:  # the 30-unit code stays linear
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def sae_layer1():
    return nn.Sequential(nn.Linear(784, 1000), nn.Sigmoid(), nn.Linear(1000, 784), nn.Sigmoid())


def dcgan28():
    g = nn.Sequential(
        nn.Linear(100, 6272), nn.BatchNorm1d(6272), nn.ReLU(True), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
        nn.Flatten(), nn.Linear(6272, 1))
    return g, d, (100,), (1, 28, 28)


def dcgan64(nz=100, ngf=64, ndf=64):
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))
    return g, d, (nz, 1, 1), (3, 64, 64)


def dcgan_init(m):  # weights N(0, 0.02), as Strata's DCGAN layers
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)


def autocast():
    """bf16 autocast on CUDA when asked, else a no-op context."""
    if ARGS.device == "cuda" and ARGS.precision == "bf16":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def autoencoder_step(name, batch, lr, corruption, dev):
    net = (sae_finetune() if name == "sae_finetune" else sae_layer1()).to(dev)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    mse = nn.MSELoss()

    def step(x):
        inp = x * (torch.rand_like(x) >= corruption) if corruption > 0 else x
        opt.zero_grad()
        with autocast():
            loss = mse(net(inp), x)  # reconstruct the clean input
        loss.backward()
        opt.step()
        return loss

    return step, (784,)


def gan_step(name, batch, lr, beta1, dev):
    g, d, z_shape, image_shape = dcgan28() if name == "dcgan28" else dcgan64()
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    g.to(dev)
    d.to(dev)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(beta1, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(beta1, 0.999))
    bce = nn.BCEWithLogitsLoss()
    d_params = list(d.parameters())
    with torch.no_grad():
        out_shape = d(torch.zeros((2,) + image_shape, device=dev)).shape[1:]
    ones = torch.ones((batch,) + tuple(out_shape), device=dev)
    zeros = torch.zeros((batch,) + tuple(out_shape), device=dev)

    def step(real):
        z = torch.randn((batch,) + z_shape, device=dev)
        with autocast():
            fake = g(z)
        # Discriminator: real -> 1, fake -> 0, gradients accumulated over both backwards.
        opt_d.zero_grad()
        with autocast():
            err_real = bce(d(real), ones)
        err_real.backward()
        with autocast():
            err_fake = bce(d(fake.detach()), zeros)
        err_fake.backward()
        opt_d.step()
        # Generator: non-saturating loss through a frozen D (input gradients only).
        for p in d_params:
            p.requires_grad_(False)
        opt_g.zero_grad()
        with autocast():
            err_g = bce(d(fake), ones)
        err_g.backward()
        opt_g.step()
        for p in d_params:
            p.requires_grad_(True)
        return err_g

    return step, image_shape


def blas_core():
    """The kernel set OpenBLAS chose (torch's GEMMs): the library torch loaded, asked by name."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def sync():
    if ARGS.device == "cuda":
        torch.cuda.synchronize()


def main():
    a = ARGS
    torch.set_num_threads(THREADS)
    torch.manual_seed(a.seed)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("pytorch_ref.py: --device cuda but torch.cuda.is_available() is False")
        tf32 = a.precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = True  # PyTorch's usual setting for fixed shapes
    dev = torch.device(a.device)
    kind, default_batch, lr, beta1, corruption = MODELS[a.model]
    batch = a.batch or default_batch
    if kind == "ae":
        step, sample = autoencoder_step(a.model, batch, lr, corruption, dev)
        data = torch.rand((a.data_batches, batch) + sample, device=dev)
    else:
        step, sample = gan_step(a.model, batch, lr, beta1, dev)
        data = torch.rand((a.data_batches, batch) + sample, device=dev) * 2 - 1
    s = 0
    for _ in range(a.warmup):
        step(data[s % a.data_batches])
        s += 1
    sync()
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    window_s = []
    for _ in range(a.windows):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step(data[s % a.data_batches])
            s += 1
        value = loss.item()  # waits for the window's work
        sync()
        window_s.append(time.perf_counter() - t0)
        if value != value or abs(value) == float("inf"):
            sys.exit(f"{a.model}: loss is not finite at step {s}")
    rate = statistics.median(a.steps * batch / t for t in window_s)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result = {
        "model": a.model, "device": a.device, "precision": a.precision, "batch": batch, "samples_per_s": round(rate, 1),
        "peak_rss_mb": round(peak_mb, 1), "threads": THREADS, "steps": a.steps,
        "windows": a.windows,
        "step_ms_median": round(statistics.median(window_s) / a.steps * 1000.0, 2),
        "peak_bytes": torch.cuda.max_memory_allocated() if a.device == "cuda" else None,
        "peak_reserved_bytes": torch.cuda.max_memory_reserved() if a.device == "cuda" else None}
    if a.device == "cuda":
        result.update({
            "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1),
            "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()})
    else:
        result["blas_core"] = blas_core()
    print(json.dumps(result), flush=True)
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            for _ in range(3):
                step(data[s % a.data_batches])
                s += 1
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30),
              file=sys.stderr)


if __name__ == "__main__":
    main()
