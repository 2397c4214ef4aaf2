"""The in-memory dataset value every other module consumes, and its content fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

IMAGE_SHAPE = (32, 32, 3)
NUM_FINE = 100
TRAIN_PER_CLASS = 500  # CIFAR-100's training split: 50,000 images
TEST_PER_CLASS = 100  # its test split (the notes' validation set): 10,000 images
# The one wording of "this is not CIFAR-100", for every header, table, report and CLI line.
SIMULATED_NOTE = "NOTE: SIMULATED data in CIFAR-100's format — these are NOT CIFAR-100 results."


def dataset_label(name: str, fingerprint: str, simulated: bool) -> str:
    """Name for headers: says 'SIMULATED' loudly when it is."""
    return f"{name} ({'SIMULATED CIFAR-format data, not CIFAR-100; ' if simulated else ''}fp {fingerprint[:12]})"
NUM_COARSE = 20


@dataclass(frozen=True, eq=False)
class Dataset:
    """CIFAR-100-shaped arrays: uint8 (N, 32, 32, 3) channels-last images, int64 labels."""

    x_train: np.ndarray  # uint8 (N, 32, 32, 3)
    y_train: np.ndarray  # int64 (N,), fine labels 0–99
    x_test: np.ndarray  # uint8 (M, 32, 32, 3)
    y_test: np.ndarray  # int64 (M,)
    y_train_coarse: np.ndarray  # int64 (N,), coarse labels 0–19
    y_test_coarse: np.ndarray  # int64 (M,)
    fine_label_names: list[str]  # 100 names, index = fine label
    name: str  # "cifar100" | "simulated" | "archive-<fingerprint[:12]>"
    fingerprint: str  # hex sha256 of the arrays (see array_fingerprint)
    source: str = ""  # where it came from and why it was chosen, for table headers
    simulated: bool = False  # True for tp2's generated data: never presented as CIFAR-100
    coarse_label_names: list[str] = field(default_factory=list)
    # `auto` fell back to simulated data: the CIFAR-100 locations looked at (the header lists them under -v)
    searched: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Name for headers: says 'SIMULATED' loudly when it is."""
        return dataset_label(self.name, self.fingerprint, self.simulated)

    def subset(self, train_per_class: int | None, test_per_class: int | None) -> "Dataset":
        """First k images of each fine class, in file order (deterministic, seed-independent). None = all."""
        if train_per_class is None and test_per_class is None:
            return self
        tr = _first_per_class(self.y_train, train_per_class)
        te = _first_per_class(self.y_test, test_per_class)
        return replace(
            self,
            x_train=self.x_train[tr],
            y_train=self.y_train[tr],
            y_train_coarse=self.y_train_coarse[tr],
            x_test=self.x_test[te],
            y_test=self.y_test[te],
            y_test_coarse=self.y_test_coarse[te],
        )


    def only_classes(self, labels: tuple[int, ...] | None) -> "Dataset":
        """Only the images of these fine labels (labels keep their values), in file order. None = all."""
        if labels is None:
            return self
        tr, te = np.isin(self.y_train, labels), np.isin(self.y_test, labels)
        return replace(self, x_train=self.x_train[tr], y_train=self.y_train[tr],
                       y_train_coarse=self.y_train_coarse[tr], x_test=self.x_test[te], y_test=self.y_test[te],
                       y_test_coarse=self.y_test_coarse[te])


def _first_per_class(labels: np.ndarray, k: int | None) -> np.ndarray:
    if k is None:
        return np.arange(len(labels))
    order = np.argsort(labels, kind="stable")  # grouped by class, file order within a class
    counts = np.bincount(labels, minlength=NUM_FINE)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    picked = [order[s : s + min(k, c)] for s, c in zip(starts, counts)]
    return np.sort(np.concatenate(picked))


def array_fingerprint(*arrays: np.ndarray) -> str:
    """sha256 over dtype, shape and contiguous bytes of each array (views and transposes are fine)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()
