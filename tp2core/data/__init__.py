"""Datasets: CIFAR-100's python format read safely, tp2's simulated stand-in, and a first look at either."""

from .dataset import Dataset
from .load import load_dataset

__all__ = ["Dataset", "load_dataset"]
