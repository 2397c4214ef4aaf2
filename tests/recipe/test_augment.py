"""Augmentation: exact image counts, aligned labels, determinism, real flips/shifts, ImageDataGenerator maths."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from tp2core.recipe.augment import _affine_sample, augment_for, full_augmentation, random_transform, single_batch_bug
from tp2core.errors import ConfigError
from tp2core.recipe.variants import MODEL2, MODEL2_BUGAUG, MODEL5


def constant_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Image i is filled with value i and labelled i % 100: any affine map keeps it, so sources stay traceable."""
    values = np.arange(n, dtype=np.uint8)
    x = np.broadcast_to(values[:, None, None, None], (n, 32, 32, 3)).copy()
    return x, (np.arange(n) % 100).astype(np.int64)


def random_images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def source_of(images: np.ndarray) -> np.ndarray:
    """Source index of each constant image (and a check that it is still constant)."""
    flat = images.reshape(len(images), -1)
    assert (flat == flat[:, :1]).all()
    return flat[:, 0].astype(np.int64)


class TestFullAugmentation:
    def test_doubles_the_data(self):
        """Every image is augmented once and kept: 2N images, uint8, same image shape."""
        x, y = constant_images(150)
        x2, y2 = full_augmentation(x, y, seed=0)
        assert x2.shape == (300, 32, 32, 3) and x2.dtype == np.uint8 and y2.shape == (300,)

    def test_labels_follow_their_images(self):
        """After the shuffle every label is its source image's label, and each source appears exactly twice."""
        x, y = constant_images(150)
        x2, y2 = full_augmentation(x, y, seed=1)
        src = source_of(x2)
        np.testing.assert_array_equal(y2, y[src])
        np.testing.assert_array_equal(np.bincount(src, minlength=150), np.full(150, 2))

    def test_shuffled(self):
        """Originals and augmented copies are mixed, not stacked in two halves."""
        x, y = constant_images(200)
        src = source_of(full_augmentation(x, y, seed=0)[0])
        assert not np.array_equal(src[:200], np.arange(200))

    def test_deterministic_per_seed(self):
        """The same seed gives identical arrays; another seed gives different ones."""
        x, y = random_images(64), np.arange(64) % 100
        a, b, c = (full_augmentation(x, y, seed=s) for s in (5, 5, 6))
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert not np.array_equal(a[0], c[0])

    def test_input_untouched(self):
        """The caller's array is not modified in place."""
        x = random_images(20)
        before = x.copy()
        full_augmentation(x, np.zeros(20, np.int64), seed=0)
        np.testing.assert_array_equal(x, before)

    def test_flip_only_gives_originals_and_mirrors(self):
        """Without rotation and shift each augmented image is its source or its exact left-right mirror."""
        x, y = random_images(200), np.arange(200) % 100
        x2, y2 = full_augmentation(x, y, seed=3, rotation_degrees=0, shift_fraction=0)
        mirrored = x[:, :, ::-1]
        found_flip = 0
        for img in x2:
            same = (x == img).all(axis=(1, 2, 3))
            flip = (mirrored == img).all(axis=(1, 2, 3))
            assert same.any() or flip.any()
            found_flip += int(flip.any() and not same.any())
        assert 60 <= found_flip <= 140  # p = 0.5 over 200 augmented copies


class TestRandomTransform:
    def test_flips_are_real_flips(self):
        """Flip-only transform: every image is unchanged or mirrored, both occur."""
        x = random_images(100)
        out = random_transform(x, np.random.default_rng(0), rotation_degrees=0, shift_fraction=0)
        same = (out == x).all(axis=(1, 2, 3))
        mirror = (out == x[:, :, ::-1]).all(axis=(1, 2, 3))
        assert (same | mirror).all() and same.any() and mirror.any()

    def test_whole_pixel_shift_is_exact_with_edge_fill(self):
        """A 2-px shift down moves rows exactly and replicates the top row (fill_mode='nearest')."""
        x = random_images(3)
        out = _affine_sample(x, np.zeros(3), np.full(3, 2.0), np.zeros(3), np.zeros(3, bool))
        np.testing.assert_array_equal(out[:, 2:], x[:, :-2])
        np.testing.assert_array_equal(out[:, 0], x[:, 0])
        np.testing.assert_array_equal(out[:, 1], x[:, 0])

    def test_matches_scipy_affine_transform(self):
        """Rotation + sub-pixel shift equals scipy's order-1, mode='nearest' affine (ImageDataGenerator's) ±1."""
        x = random_images(6, seed=2)
        angle = np.deg2rad(np.array([14.0, -9.0, 3.0, -15.0, 0.0, 7.5]))
        ty = np.array([1.3, -2.2, 0.0, 3.1, -0.4, 2.9])
        tx = np.array([-0.7, 2.5, 1.0, 0.2, -3.2, 0.0])
        out = _affine_sample(x, angle, ty, tx, np.zeros(6, bool))
        c = 15.5
        for i in range(6):
            m = np.array([[np.cos(angle[i]), -np.sin(angle[i])], [np.sin(angle[i]), np.cos(angle[i])]])
            offset = np.array([c, c]) - m @ np.array([c, c]) - np.array([ty[i], tx[i]])
            ref = np.stack(
                [ndimage.affine_transform(x[i, :, :, k].astype(float), m, offset, order=1, mode="nearest") for k in range(3)],
                axis=-1,
            )
            assert np.abs(np.rint(ref) - out[i]).max() <= 1

    def test_changes_images(self):
        """The default transform actually alters almost every image."""
        x = random_images(50)
        changed = (random_transform(x, np.random.default_rng(0)) != x).any(axis=(1, 2, 3))
        assert changed.sum() >= 48


class TestSingleBatchBug:
    @pytest.mark.parametrize("batch_size", [128, 1024])
    def test_adds_exactly_one_batch(self, batch_size):
        """Only batch_size augmented images are appended, so the share grows with the batch size."""
        x, y = random_images(2000), np.arange(2000) % 100
        x2, y2 = single_batch_bug(x, y, batch_size, seed=0)
        assert len(x2) == len(y2) == 2000 + batch_size
        np.testing.assert_array_equal(x2[:2000], x)  # originals first, untouched

    def test_batch_larger_than_set(self):
        """flow() on fewer images than batch_size yields them all once: N + N images."""
        x, y = constant_images(200)
        x2, _ = single_batch_bug(x, y, 1024, seed=0)
        assert len(x2) == 400
        np.testing.assert_array_equal(np.sort(source_of(x2[200:])), np.arange(200))

    def test_distinct_random_sources_with_aligned_labels(self):
        """The appended batch is batch_size distinct random images, each with its own label."""
        x, y = constant_images(250)
        x2, y2 = single_batch_bug(x, y, 64, seed=4)
        src = source_of(x2[250:])
        assert len(set(src.tolist())) == 64 and not np.array_equal(src, np.arange(64))
        np.testing.assert_array_equal(y2[250:], y[src])

    def test_deterministic_per_seed(self):
        """Same seed → same batch and transforms; another seed → different."""
        x, y = random_images(300), np.arange(300) % 100
        a, b, c = (single_batch_bug(x, y, 32, seed=s)[0] for s in (1, 1, 2))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    def test_bad_batch_size(self):
        """A non-positive batch size is refused with the parameter named."""
        with pytest.raises(ConfigError, match=r"^'batch_size' must be a positive int \(got 0\)\.$"):
            single_batch_bug(random_images(4), np.zeros(4, np.int64), 0, seed=0)


class TestAugmentFor:
    def test_dispatch_counts(self):
        """none → N, full → 2N, single_batch_bug → N + batch_size."""
        x, y = random_images(300), np.arange(300) % 100
        assert augment_for(MODEL2, x, y, 0)[0] is x
        assert len(augment_for(MODEL5, x, y, 0)[0]) == 600
        assert len(augment_for(replace(MODEL2_BUGAUG, batch_size=100), x, y, 0)[0]) == 400

    def test_rejects_float_images(self):
        """Scaled (float) images are refused: augmentation works on raw uint8 pixels."""
        with pytest.raises(ConfigError, match=r"^'x' must be a uint8 array"):
            full_augmentation(np.zeros((2, 32, 32, 3), np.float32), np.zeros(2), seed=0)

    def test_rejects_negative_seed(self):
        """A negative seed names the parameter."""
        with pytest.raises(ConfigError, match=r"^'seed' must be a non-negative int \(got -1\)\.$"):
            full_augmentation(random_images(2), np.zeros(2), seed=-1)


def test_a_scaled_bug_appends_the_variants_count_not_a_whole_batch():
    """Issue 21: under a profile that keeps the notes' share, the bug appends Variant.augmented_by_bug images."""
    from tp2core.recipe.augment import augment_for
    from tp2core.recipe.variants import get_profile, get_variant

    x = np.zeros((500, 32, 32, 3), np.uint8)
    y = np.arange(500) % 100
    quick = get_profile("quick").apply(get_variant("model2-bugaug"))
    assert quick.augmented_by_bug == 51
    assert len(augment_for(quick, x, y, seed=0)[0]) == 500 + 51
    assert len(augment_for(get_variant("model2-bugaug"), x, y, seed=0)[0]) == 500 + 128
