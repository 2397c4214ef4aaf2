"""What a run is (``RunSpec``, whose content hash is the run's identity) and what it produced (``RunResult``).

Plain data, JSON round-trippable, no TensorFlow import. The identity follows asv's rule: change anything
that can change the numbers (variant fields as trained, data subset, dataset fingerprint, seed, threads,
backend, ``RECIPE_VERSION``) and cached results with the old identity are never reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from ..recipe.variants import Variant

# Bump when training code changes what a run means (data order, preprocessing, metrics, trainer numerics).
RECIPE_VERSION = 3  # 3: first-layer weight change recorded; variants carry their validation set (issue 14).
# 2: TensorFlow runs train with tp2core.training.fastfit (seeded epoch order, fused Adam)

STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run's numbers."""

    variant: Variant  # as trained: the profile already applied (Profile.apply)
    profile: str  # "smoke" | "quick" | "paper"
    train_per_class: int | None  # None = whole split
    test_per_class: int | None
    seed: int
    dataset_name: str  # "cifar100", "simulated", or "archive-<fingerprint[:12]>"
    dataset_fingerprint: str
    backend: str = "tensorflow"  # Keras backend
    threads: int = 1  # intra-op threads used for training (results depend on it on CPU)
    precision: str = "float32"  # opt-in numerics knobs (e.g. "tf32", "mixed_bfloat16") are part of identity

    def identity(self) -> str:
        """Content hash (hex, 20 chars) of every field plus RECIPE_VERSION."""
        payload = dataclasses.asdict(self)
        # fields added later with a default: dropped while at it, so older identities stay unchanged
        for name, default in (("classes", None), ("input_pool", 1), ("bug_images", None)):
            if payload["variant"].get(name, default) == default:
                payload["variant"].pop(name, None)
        payload["recipe_version"] = RECIPE_VERSION
        blob = json.dumps(payload, sort_keys=True, default=list).encode()
        return hashlib.sha256(blob).hexdigest()[:20]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        v = dict(data["variant"])
        v["hidden_units"] = tuple(v["hidden_units"])
        v["hidden_activations"] = tuple(v["hidden_activations"])
        return cls(**{**data, "variant": Variant(**v)})


@dataclass
class RunResult:
    """The outcome of one (variant, seed) run. ``val_accuracy`` is None when the run failed."""

    spec: RunSpec
    status: str = STATUS_OK  # "ok" | "failed"
    failure: str | None = None  # e.g. "non-finite loss (nan) at epoch 3, batch 17"
    val_accuracy: float | None = None  # final epoch, fraction in [0, 1]
    val_loss: float | None = None
    train_accuracy: float | None = None
    train_loss: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch: accuracy, loss, val_accuracy, val_loss
    epoch_seconds: list[float] = field(default_factory=list)  # wall time of each training epoch
    train_seconds: float = 0.0  # wall time of the whole fit, validation included
    images_per_second: float | None = None  # median over steady epochs (first epoch excluded when >1)
    train_images: int = 0  # training images per epoch after augmentation
    params_per_layer: dict[str, int] = field(default_factory=dict)  # layer name → trainable parameter count
    grad_norms: dict[str, dict[str, float]] = field(default_factory=dict)  # "init"/"epoch1" → layer → ‖∂L/∂W‖₂
    # ‖W_T − W_0‖_F / ‖W_0‖_F of the first Dense kernel: how far training moved the first layer (dimensionless)
    first_layer_weight_change: float | None = None
    # the checkpoint epoch each resume started from (training.checkpoint); [] = trained in one process. A resumed
    # run's numbers equal an uninterrupted run's (exact resume); its train_seconds sums every process's fit time.
    resumed_from: list[int] = field(default_factory=list)
    # SHA-256 of the trained weights (training.isolation.weights_digest): two records of one training (a prefix,
    # an evaluation; training.shared) or a rerun are the same bits iff equal. None in records made before it
    weights_sha256: str | None = None
    environment: dict = field(default_factory=dict)  # tp2core.training.backend.environment_fingerprint()
    created: str = ""  # ISO-8601 UTC
    attempts: int = 1

    @property
    def identity(self) -> str:
        return self.spec.identity()

    @property
    def resumed(self) -> bool:
        return bool(self.resumed_from)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["identity"] = self.identity
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "RunResult":
        data = dict(data)
        data.pop("identity", None)
        spec = RunSpec.from_dict(data.pop("spec"))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(spec=spec, **{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> "RunResult":
        return cls.from_dict(json.loads(text))
