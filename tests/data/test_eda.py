"""EDA: counts and pixel statistics, the text summary, the sample grid PNG, and `tp2 data info`."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from helpers_cifar import members, offline_env, write_archive  # noqa: F401

from tp2core.cli import data as cli_data
from tp2core.data.load import load_dataset
from tp2core.data.eda import dataset_info, format_info, sample_grid_png
from tp2core.errors import ConfigError

pytestmark = pytest.mark.usefixtures("offline_env")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def archive(tmp_path):
    return write_archive(tmp_path / "a.tar.gz", members(per_class_train=3, per_class_test=2))


@pytest.fixture
def ds(archive):
    return load_dataset(str(archive))


def test_counts(ds):
    """Per split: images, classes present, min and max per class."""
    info = dataset_info(ds.subset(2, None))
    assert info["splits"]["train"] == {"images": 200, "classes": 100, "per_class_min": 2, "per_class_max": 2}
    assert info["splits"]["test"] == {"images": 200, "classes": 100, "per_class_min": 2, "per_class_max": 2}


def test_channel_stats_match_numpy(ds):
    """Per-channel mean/std equal numpy's over all training pixels (pixels in [0, 1])."""
    info = dataset_info(ds)
    x = ds.x_train.astype(np.float64) / 255.0
    assert info["channel_mean"] == pytest.approx(x.mean(axis=(0, 1, 2)), abs=1e-3)
    assert info["channel_std"] == pytest.approx(x.std(axis=(0, 1, 2)), abs=1e-3)
    assert info["channel_mean"][0] != info["channel_mean"][1]  # random data: channels differ


def test_format_info(ds):
    """The summary names the dataset, fingerprint, source and counts."""
    text = format_info(dataset_info(ds))
    assert ds.fingerprint in text and ds.source in text and "300 images, 100 classes, 3–3 per class" in text
    assert "simulated" not in text.lower()


def test_sample_grid_png(ds, tmp_path):
    """A PNG grid is written; more rows make a taller image."""
    small = sample_grid_png(ds, tmp_path / "a.png", classes=[0, 5], per_class=3)
    big = sample_grid_png(ds, tmp_path / "b.png", classes=[0, 5, 9, 42], per_class=3)
    assert small.read_bytes()[:8] == PNG_MAGIC
    height = lambda p: int.from_bytes(p.read_bytes()[20:24], "big")  # noqa: E731  IHDR height
    assert height(big) > height(small)


def test_sample_grid_rejects_bad_classes(ds, tmp_path):
    """Class ids outside 0..99 raise ConfigError with the exact message."""
    with pytest.raises(ConfigError) as info:
        sample_grid_png(ds, tmp_path / "x.png", classes=[100])
    assert str(info.value) == "'classes' must be a non-empty list of fine labels in 0..99 (got [100])."


def test_cli_info(archive, tmp_path, capsys):
    """`tp2 data info --dataset PATH --out DIR` prints the summary and writes samples.png."""
    parser = argparse.ArgumentParser()
    cli_data.register(parser.add_subparsers())
    args = parser.parse_args(["data", "info", "--dataset", str(archive), "--out", str(tmp_path / "out"), "--classes", "1,2"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "fingerprint:" in out and "train:" in out and "samples.png" in out
    assert (tmp_path / "out" / "samples.png").read_bytes()[:8] == PNG_MAGIC


def test_cli_info_json(archive, capsys):
    """`tp2 data info --json --probe` prints one JSON object with the issue-15 statistics, all filled in."""
    parser = argparse.ArgumentParser()
    cli_data.register(parser.add_subparsers())
    args = parser.parse_args(["data", "info", "--dataset", str(archive), "--json", "--probe"])
    assert args.handler(args) == 0
    info = json.loads(capsys.readouterr().out)
    keys = ("channel_mean", "channel_std", "spectrum_slope", "adjacent_pixel_correlation", "linear_probe_accuracy")
    assert all(info[k] is not None for k in keys)
    assert len(info["channel_mean"]) == 3 and 0.0 <= info["linear_probe_accuracy"] <= 1.0


def test_info_without_probe_leaves_it_none(ds):
    """Without probe the accuracy is None; with image statistics off, slope and correlation are None too."""
    info = dataset_info(ds)
    assert info["linear_probe_accuracy"] is None and info["spectrum_slope"] is None
