"""image_stats: each statistic on tiny arrays whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tp2core.data import image_stats as st


def _images(values) -> np.ndarray:
    return np.asarray(values, dtype=np.uint8)


class TestChannelMeanStd:
    def test_constant_channels(self):
        """Constant channels: mean = value / 255, std 0."""
        x = np.zeros((2, 32, 32, 3), np.uint8) + _images([0, 51, 255])
        mean, std = st.channel_mean_std(x)
        assert mean.tolist() == pytest.approx([0.0, 0.2, 1.0]) and std.tolist() == pytest.approx([0.0] * 3, abs=1e-6)

    def test_two_levels(self):
        """Half the images 0, half 255: mean 0.5, std 0.5."""
        x = np.concatenate([np.zeros((2, 32, 32, 3), np.uint8), np.full((2, 32, 32, 3), 255, np.uint8)])
        mean, std = st.channel_mean_std(x)
        assert mean.tolist() == pytest.approx([0.5] * 3) and std.tolist() == pytest.approx([0.5] * 3)


class TestAdjacentPixelCorrelation:
    def test_alternating_columns(self):
        """Columns alternating 0/255 give correlation −1."""
        x = np.zeros((1, 32, 32, 3), np.uint8)
        x[:, :, ::2] = 255
        assert st.adjacent_pixel_correlation(x) == pytest.approx(-1.0)

    def test_ramp(self):
        """A horizontal ramp, offset per image, correlates almost perfectly."""
        ramp = np.arange(32, dtype=np.uint8)[None, None, :, None] * 4
        x = (ramp + np.arange(3, dtype=np.uint8)[:, None, None, None] * 20).repeat(32, 1).repeat(3, 3)
        assert st.adjacent_pixel_correlation(x) > 0.99

    def test_white_noise(self):
        """Independent pixels: correlation near 0."""
        x = np.random.default_rng(0).integers(0, 256, size=(50, 32, 32, 3), dtype=np.uint8)
        assert abs(st.adjacent_pixel_correlation(x)) < 0.03


class TestSpectrumSlope:
    def test_white_noise_is_flat(self):
        """White noise has a flat spectrum: slope near 0."""
        x = np.random.default_rng(0).integers(0, 256, size=(50, 32, 32, 3), dtype=np.uint8)
        assert abs(st.spectrum_slope(x)) < 0.2

    def test_single_frequency(self):
        """A plane wave at 4 cycles/image puts all its power at radius 4."""
        wave = 127.5 + 100 * np.cos(2 * np.pi * 4 * np.arange(32) / 32)
        x = np.broadcast_to(np.rint(wave)[None, None, :, None], (1, 32, 32, 3)).astype(np.uint8)
        power = st.radial_power_spectrum(x)
        assert power.argmax() == 4 and power[4] > 1e3 * np.delete(power, 4).max()

    def test_power_law_field(self):
        """A random field with power ∝ f⁻² (made by FFT) measures a slope near −2."""
        rng = np.random.default_rng(0)
        f = np.sqrt(np.fft.fftfreq(32)[:, None] ** 2 + np.fft.fftfreq(32)[None, :] ** 2)
        amp = np.where(f > 0, 1 / np.maximum(f, 1e-9), 0.0)
        fields = np.fft.ifft2(amp * np.fft.fft2(rng.standard_normal((60, 32, 32)))).real
        x = np.clip(127.5 + 40 * fields / fields.std(), 0, 255).round().astype(np.uint8)[..., None].repeat(3, 3)
        assert st.spectrum_slope(x) == pytest.approx(-2.0, abs=0.2)


class TestRidgeProbe:
    def test_colour_coded_classes(self):
        """Class k = a bright band in rows 3k..3k+2 on noise: linearly separable, classified perfectly."""
        y = np.arange(10).repeat(4)
        x = np.random.default_rng(0).integers(0, 60, size=(40, 32, 32, 3), dtype=np.uint8)
        for i, k in enumerate(y):
            x[i, 3 * k : 3 * k + 3] = 255
        assert st.ridge_probe_accuracy(x, y, x, y, classes=10) == 1.0

    def test_noise_labels_near_chance(self):
        """Random labels on random images: held-out accuracy near chance (10 % for 10 classes)."""
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, size=(400, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, size=400)
        assert st.ridge_probe_accuracy(x[:300], y[:300], x[300:], y[300:], classes=10) < 0.25
