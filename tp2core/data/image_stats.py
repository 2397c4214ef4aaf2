"""Natural-image statistics of a set of 32×32 RGB images, and a raw-pixel linear probe (issue 15).

Pure numpy. Images are uint8 (N, 32, 32, 3), channels last, and every statistic reads them as pixels in [0, 1]
(value / 255). Each function states its exact definition, so the figures for CIFAR-100 and for tp2's simulated
data (``tp2 data info --dataset SPEC``) are the same quantity.
"""

from __future__ import annotations

import numpy as np

CHUNK = 2000  # images per step (bounds float64 temporaries to ~50 MB)
SLOPE_BAND = (2, 14)  # cycles per image: the radii the spectrum slope is fitted over (inclusive)
RIDGE_STRENGTH = 0.01  # λ = RIDGE_STRENGTH × mean diagonal of the centred Gram matrix (fixed; never tuned)


def channel_mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population std, float64 (3,) each, over all pixels of ``x`` (N, 32, 32, 3)."""
    total, sq, n = np.zeros(3), np.zeros(3), 0
    for start in range(0, len(x), CHUNK):
        c = x[start : start + CHUNK].reshape(-1, 3).astype(np.float64) / 255.0
        total += c.sum(axis=0)
        sq += (c * c).sum(axis=0)
        n += len(c)
    mean = total / max(n, 1)
    return mean, np.sqrt(np.maximum(sq / max(n, 1) - mean**2, 0.0))


def radial_power_spectrum(x: np.ndarray) -> np.ndarray:
    """float64 (17,): |FFT|² of each image channel minus its own mean, averaged over images and channels, then
    over the frequencies whose radius √(fx² + fy²) (cycles per image) rounds to r = 0…16."""
    h, w = x.shape[1:3]
    power = np.zeros((h, w))
    for start in range(0, len(x), CHUNK):
        c = x[start : start + CHUNK].astype(np.float64) / 255.0
        c -= c.mean(axis=(1, 2), keepdims=True)
        power += (np.abs(np.fft.fft2(c, axes=(1, 2))) ** 2).sum(axis=(0, 3))
    power /= max(len(x), 1) * x.shape[3]
    fy, fx = np.meshgrid(np.fft.fftfreq(h) * h, np.fft.fftfreq(w) * w, indexing="ij")
    radius = np.rint(np.sqrt(fy**2 + fx**2)).astype(np.int64)
    rmax = min(h, w) // 2
    return np.array([power[radius == r].mean() for r in range(rmax + 1)])


def spectrum_slope(x: np.ndarray, band: tuple[int, int] = SLOPE_BAND) -> float:
    """Least-squares slope of log power against log radius over radii ``band`` (inclusive) of
    ``radial_power_spectrum(x)``; natural images give about −2, white noise 0."""
    radii = np.arange(band[0], band[1] + 1)
    power = radial_power_spectrum(x)[radii]
    return float(np.polyfit(np.log(radii), np.log(power), 1)[0])


def adjacent_pixel_correlation(x: np.ndarray) -> float:
    """Pearson correlation between horizontally adjacent pixels (x[:, i, j, c], x[:, i, j + 1, c]), pooled over
    all images, rows and column pairs of one channel, then averaged over the 3 channels."""
    sums = np.zeros((5, x.shape[3]))  # Σa, Σb, Σa², Σb², Σab per channel
    n = 0
    for start in range(0, len(x), CHUNK):
        c = x[start : start + CHUNK].astype(np.float64) / 255.0
        a, b = c[:, :, :-1].reshape(-1, c.shape[3]), c[:, :, 1:].reshape(-1, c.shape[3])
        sums += np.stack([a.sum(0), b.sum(0), (a * a).sum(0), (b * b).sum(0), (a * b).sum(0)])
        n += len(a)
    ma, mb = sums[0] / n, sums[1] / n
    cov = sums[4] / n - ma * mb
    r = cov / np.sqrt((sums[2] / n - ma**2) * (sums[3] / n - mb**2))
    return float(r.mean())


def ridge_probe_accuracy(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, classes: int = 100
) -> float:
    """Test accuracy of closed-form ridge regression on one-hot labels from raw pixels.

    Features: the 3072 pixels in [0, 1] of ``x_*`` (N, 32, 32, 3), centred by the training mean, plus an
    unpenalised bias (equivalently: targets centred too). Weights W = (XᵀX + λI)⁻¹ XᵀY in the 3072-dim primal,
    λ = RIDGE_STRENGTH × trace(XᵀX) / 3072 (1 % of the mean per-pixel energy: a fixed rule, not tuned on any
    split). Prediction: argmax of the 100 outputs. Gram matrix accumulated in float32 products per chunk,
    summed and solved in float64.
    """
    d = int(np.prod(x_train.shape[1:]))
    mu = x_train.reshape(len(x_train), d).mean(axis=0, dtype=np.float64) / 255.0
    gram = np.zeros((d, d))
    xty = np.zeros((d, classes))
    for start in range(0, len(x_train), CHUNK):
        c = (x_train[start : start + CHUNK].reshape(-1, d) / np.float32(255.0) - mu.astype(np.float32))
        gram += c.T @ c
        onehot = np.zeros((len(c), classes), np.float32)
        onehot[np.arange(len(c)), y_train[start : start + CHUNK]] = 1.0
        xty += c.T @ onehot
    lam = RIDGE_STRENGTH * np.trace(gram) / d
    weights = np.linalg.solve(gram + lam * np.eye(d), xty)
    correct = 0
    for start in range(0, len(x_test), CHUNK):
        c = x_test[start : start + CHUNK].reshape(-1, d) / 255.0 - mu
        correct += int(((c @ weights).argmax(axis=1) == y_test[start : start + CHUNK]).sum())
    return correct / len(x_test)
