#!/usr/bin/python3
# The reference of docs/results.md: PCA with 30 components on Fashion-MNIST, fitted on the
# training images and scored on the test images (MSE, pixels in [0, 1]). Debian's python3-numpy:
#   /usr/bin/python3 bench/pca_baseline.py
import gzip, numpy as np
def images(path):
    with gzip.open(path) as f:
        d = np.frombuffer(f.read(), np.uint8, offset=16)
    return d.reshape(-1, 784).astype(np.float64) / 255.0
src = "/usr/share/datasets/fashion-mnist/"
tr = images(src + "train-images-idx3-ubyte.gz"); te = images(src + "t10k-images-idx3-ubyte.gz")
mu = tr.mean(0); c = np.cov((tr - mu).T)
w, v = np.linalg.eigh(c); p = v[:, ::-1][:, :30]
rec = (te - mu) @ p @ p.T + mu
print("pca30 test mse %.5f" % ((rec - te) ** 2).mean())
