#!/usr/bin/env python3
"""Fashion-MNIST as 64x64 RGB PNGs in class folders, for a real-data run of configs/dcgan64.yaml.

Debian's dataset-fashion-mnist ships 28x28 grey IDX files; dcgan64 takes 3x64x64 images. This
scales each image to 64x64 (bilinear) and tints it with a colour per class, so the three channels
differ. Standard library only. Then:
  python3 bench/fashion64.py --count 10000 --out data/fashion64-png
  build/bin/strata data convert --format png --input data/fashion64-png --out data/fashion64
  launch/run_local.sh configs/dcgan64.yaml --set data.train=data/fashion64 --run-dir runs/dcgan64
"""
import argparse
import gzip
import os
import struct
import sys
import zlib

SRC = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
# One tint per class (R, G, B in [0, 1]): the image's grey value times the tint.
TINTS = [(1.0, 0.45, 0.35), (0.35, 0.55, 1.0), (0.95, 0.8, 0.3), (0.85, 0.35, 0.85),
         (0.45, 0.9, 0.5), (1.0, 0.65, 0.2), (0.3, 0.85, 0.9), (0.9, 0.9, 0.9),
         (0.65, 0.5, 0.35), (0.55, 0.45, 1.0)]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def resize(img, n, m):
    """Bilinear n x n -> m x m of a flat list of bytes."""
    out = [0.0] * (m * m)
    scale = n / m
    for y in range(m):
        sy = min(max((y + 0.5) * scale - 0.5, 0.0), n - 1.0)
        y0 = int(sy)
        y1 = min(y0 + 1, n - 1)
        fy = sy - y0
        for x in range(m):
            sx = min(max((x + 0.5) * scale - 0.5, 0.0), n - 1.0)
            x0 = int(sx)
            x1 = min(x0 + 1, n - 1)
            fx = sx - x0
            top = img[y0 * n + x0] * (1 - fx) + img[y0 * n + x1] * fx
            bottom = img[y1 * n + x0] * (1 - fx) + img[y1 * n + x1] * fx
            out[y * m + x] = top * (1 - fy) + bottom * fy
    return out


def write_png(path, width, height, rgb):
    def chunk(kind, body):
        c = struct.pack(">I", len(body)) + kind + body
        return c + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=10000, help="images (from the training split)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--out", required=True, help="folder of class folders to write")
    a = p.parse_args()
    images = os.path.join(SRC, "train-images-idx3-ubyte.gz")
    labels = os.path.join(SRC, "train-labels-idx1-ubyte.gz")
    if not os.path.exists(images):
        sys.exit(f"fashion64.py: {images} is missing; install dataset-fashion-mnist (launch/setup.sh)")
    (n, h, w), pixels = read_idx(images)
    _, labs = read_idx(labels)
    count = min(a.count, n)
    for name in CLASSES:
        os.makedirs(os.path.join(a.out, name), exist_ok=True)
    m = a.size
    for i in range(count):
        grey = resize(pixels[i * h * w:(i + 1) * h * w], h, m)
        r, g, b = TINTS[labs[i]]
        rgb = bytearray(m * m * 3)
        for j, v in enumerate(grey):
            rgb[3 * j] = int(v * r + 0.5)
            rgb[3 * j + 1] = int(v * g + 0.5)
            rgb[3 * j + 2] = int(v * b + 0.5)
        write_png(os.path.join(a.out, CLASSES[labs[i]], f"{i:06d}.png"), m, m, rgb)
    print(f"wrote {count} images of {m}x{m}x3 under {a.out}")


if __name__ == "__main__":
    main()
