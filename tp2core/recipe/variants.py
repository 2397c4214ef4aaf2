"""The notes' models as frozen, declarative values, and the fidelity profiles that scale them.

Every variant cites the section of the lab notes (README: "The notes") (Spanish lab notes, "Trabajo Practico 2")
it comes from. Defaults are the course baseline; every other variant is a ``dataclasses.replace`` of
another one, so a reader sees exactly what changed between two models.

Nothing here imports TensorFlow: variants and profiles are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import ConfigError, is_positive_int, require

AUGMENTATIONS = ("none", "full", "single_batch_bug")
ACTIVATIONS = ("relu", "softmax", "sigmoid", "tanh", "linear")


@dataclass(frozen=True)
class Variant:
    """One model + training recipe from the notes. Field values are the notes' (paper) values."""

    name: str  # contract name, e.g. "model2-bugaug"
    hidden_units: tuple[int, ...] = (1000, 1000)  # widths of the hidden Dense layers, input side first
    hidden_activations: tuple[str, ...] = ("relu", "relu")  # one per hidden layer
    epochs: int = 10  # passes over the (possibly augmented) training set
    batch_size: int = 128  # images per optimizer step
    augmentation: str = "none"  # "none" | "full" | "single_batch_bug" (see tp2core.recipe.augment)
    optimizer: str = "adam"  # as a student's Keras script: model.compile(optimizer="adam")
    learning_rate: float = 1e-3  # Adam default, as in the notes (they never change it)
    classes: int | None = None  # train and validate on k fine classes only (every 100/k-th); None = all 100
    notes_val_accuracy: float | None = None  # the notes' single-run validation accuracy (fraction)
    notes_section: str = ""  # where in the notes this model is described
    description: str = ""  # one line for tables and reports

    def __post_init__(self) -> None:
        require(bool(self.name) and isinstance(self.name, str), "name", "a non-empty string", self.name)
        require(
            isinstance(self.hidden_units, tuple)
            and len(self.hidden_units) > 0
            and all(is_positive_int(u) for u in self.hidden_units),
            "hidden_units",
            "a non-empty tuple of positive ints",
            self.hidden_units,
        )
        require(
            isinstance(self.hidden_activations, tuple)
            and len(self.hidden_activations) == len(self.hidden_units)
            and all(a in ACTIVATIONS for a in self.hidden_activations),
            "hidden_activations",
            f"a tuple of {len(self.hidden_units)} names from {ACTIVATIONS}",
            self.hidden_activations,
        )
        require(is_positive_int(self.epochs), "epochs", "a positive int", self.epochs)
        require(is_positive_int(self.batch_size), "batch_size", "a positive int", self.batch_size)
        require(self.augmentation in AUGMENTATIONS, "augmentation", f"one of {AUGMENTATIONS}", self.augmentation)
        require(self.optimizer == "adam", "optimizer", "'adam' (the notes' optimizer)", self.optimizer)
        require(
            isinstance(self.learning_rate, float) and 0 < self.learning_rate < 1,
            "learning_rate",
            "a float in (0, 1)",
            self.learning_rate,
        )
        require(self.classes is None or (is_positive_int(self.classes) and 2 <= self.classes <= 100),
                "classes", "None or an int in [2, 100]", self.classes)


# --- The notes' models --------------------------------------------------------------------------------------

# Reconstruction: the notes never list the course baseline, only its 22%. Model 1 is described as the
# baseline plus two Dense(100, softmax) layers, and model 2 as "softmax layers removed, one ReLU layer
# added" giving 3×Dense(1000, relu); so the baseline is 2×Dense(1000, relu) → Dense(100, softmax).
MODEL0 = Variant(
    name="model0",
    notes_val_accuracy=0.22,
    notes_section="Primer Modelo (course baseline, reconstructed: the notes give only its 22%)",
    description="course baseline: 2×Dense(1000, relu)",
)
MODEL1 = replace(
    MODEL0,
    name="model1",
    hidden_units=(1000, 1000, 100, 100),
    hidden_activations=("relu", "relu", "softmax", "softmax"),
    notes_val_accuracy=0.008,
    notes_section="Primer Modelo: 'puse 2 extra con activacion softmax y 100 unidades' → 0.8%",
    description="baseline + 2 hidden Dense(100, softmax)",
)
MODEL2 = replace(
    MODEL0,
    name="model2",
    hidden_units=(1000, 1000, 1000),
    hidden_activations=("relu", "relu", "relu"),
    notes_val_accuracy=0.26,
    notes_section="Segundo Modelo: Flatten → 3×Dense(1000, relu) → Dense(100, softmax), 'Sin data augmentation --> 0.26'",
    description="3×Dense(1000, relu), 10 epochs, batch 128",
)
MODEL2_BUGAUG = replace(
    MODEL2,
    name="model2-bugaug",
    augmentation="single_batch_bug",
    notes_val_accuracy=0.26,
    notes_section="Segundo Modelo: 'Con data augmentation --> 0.26' (only one batch was augmented: Quinto Modelo)",
    description="model2 + the notes' single-batch augmentation bug",
)
MODEL3 = replace(
    MODEL2,
    name="model3",
    epochs=100,
    notes_val_accuracy=0.2884,
    notes_section="Tercer Modelo: epochs 10 → 100, 'Sin data augmentation --> 0.2884'",
    description="model2 for 100 epochs",
)
MODEL3_BUGAUG = replace(
    MODEL3,
    name="model3-bugaug",
    augmentation="single_batch_bug",
    notes_val_accuracy=0.2878,
    notes_section="Tercer Modelo: 'Con data augmentation --> 0.2878'",
    description="model3 + single-batch augmentation bug",
)
# The notes: "se agregaron mas capas relu intermedias. Primera capa con 10K neuronas" — more ReLU layers,
# the first 10,000 wide. Our choice: the first layer 10,000 wide, then model3's three 1000-wide ReLU layers
# plus one more ("mas capas"), i.e. 10000-1000-1000-1000-1000 (43.8 M parameters).
MODEL4 = replace(
    MODEL3,
    name="model4",
    hidden_units=(10000, 1000, 1000, 1000, 1000),
    hidden_activations=("relu",) * 5,
    epochs=1000,
    batch_size=1024,
    notes_val_accuracy=0.2374,
    notes_section="Cuarto Modelo: batch 1024, first layer 10K + more ReLU layers, 1000 epochs, 'Sin data augmentation --> 0.2374'",
    description="batch 1024, Dense(10000)+4×Dense(1000) relu, 1000 epochs",
)
MODEL4_BUGAUG = replace(
    MODEL4,
    name="model4-bugaug",
    augmentation="single_batch_bug",
    notes_val_accuracy=0.2394,
    notes_section="Cuarto Modelo: 'Data augmentaiton --> 0.2394' (the bug: one batch of 1024 augmented)",
    description="model4 + single-batch augmentation bug",
)
MODEL5 = replace(
    MODEL4,
    name="model5",
    augmentation="full",
    notes_val_accuracy=0.30,
    notes_section="Quinto Modelo: whole set augmented, concatenated and shuffled, 'Data augmentaiton --> 0.3'",
    description="model4 + full augmentation (2× data)",
)
# Not in the notes as a run: model2's network at model4's batch size, to time the notes' reason for the
# switch ("toma más imágenes por iteración") on the same model (claim large-batch-is-faster).
MODEL2_B1024 = replace(
    MODEL2,
    name="model2-b1024",
    batch_size=1024,
    notes_val_accuracy=None,
    notes_section="Cuarto Modelo: 'Se aumento el batch size de 128 a 1024' (throughput probe, same network as model2)",
    description="model2 at batch 1024 (throughput probe)",
)

# Not from the notes: a regression probe for the gate (issue 13 item 8). Every notes variant sits near chance at
# smoke scale, so a trainer that does not learn would pass the smoke gate unnoticed; this one lands far above
# chance at smoke cost: 10 fine classes of distinct coarse classes (every 10th), one layer of 128, 60 epochs
# (~2 s a run). Simulated smoke, seeds 0-2: 54, 54, 58% (chance 10%); 64 units or 30 epochs gave 36-48%.
LEARN_PROBE = replace(
    MODEL0,
    name="learn-probe",
    hidden_units=(128,),
    hidden_activations=("relu",),
    epochs=60,
    batch_size=16,
    classes=10,
    notes_val_accuracy=None,
    notes_section="not in the notes: the gate's check that training learns (chance on 10 classes is 10%)",
    description="10 classes, Dense(128, relu), 60 epochs, batch 16: must land far above chance",
)

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (MODEL0, MODEL1, MODEL2, MODEL2_BUGAUG, MODEL3, MODEL3_BUGAUG, MODEL4, MODEL4_BUGAUG, MODEL5, MODEL2_B1024,
              LEARN_PROBE)
}


def class_subset(classes: int | None) -> tuple[int, ...] | None:
    """The fine labels a variant with ``classes`` = k trains on: every (100 // k)-th, so for k ≤ 20 each comes
    from another coarse class (fine k belongs to coarse k // 5), none confusable with another. None = all."""
    return None if classes is None else tuple(range(0, 100, 100 // classes))[:classes]


def get_variant(name: str) -> Variant:
    """Look a variant up by its contract name; an unknown name lists the valid ones."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise ConfigError(f"unknown variant {name!r}; valid variants: {', '.join(VARIANTS)}.") from None


# --- Fidelity profiles ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How faithfully variants are trained. ``apply`` maps a notes variant to what is actually trained."""

    name: str
    train_per_class: int | None  # training images per fine class; None = the whole split (500 in CIFAR-100)
    test_per_class: int | None  # validation images per class, from the test split; None = all (100)
    epochs: dict[int, int] = field(default_factory=dict)  # notes epochs → trained epochs; missing = unchanged
    max_width: int | None = None  # cap on every hidden width (only where the CPU forces it); None = none
    seeds: int = 3  # seeds per variant unless --tp2-seeds overrides
    description: str = ""

    def __post_init__(self) -> None:
        for name in ("train_per_class", "test_per_class", "max_width"):
            value = getattr(self, name)
            require(value is None or is_positive_int(value), name, "a positive int or None", value)
        require(is_positive_int(self.seeds), "seeds", "a positive int", self.seeds)
        require(
            all(is_positive_int(k) and is_positive_int(v) for k, v in self.epochs.items()),
            "epochs",
            "a mapping of positive ints",
            self.epochs,
        )

    def apply(self, variant: Variant) -> Variant:
        """The variant as trained under this profile (same name; epochs and widths scaled)."""
        units = variant.hidden_units
        if self.max_width is not None:
            units = tuple(min(u, self.max_width) for u in units)
        return replace(variant, epochs=self.epochs.get(variant.epochs, variant.epochs), hidden_units=units)

    def scale_note(self, variant: Variant) -> str:
        """Human-readable scale factors for tables, e.g. 'epochs 1000→32 (×0.032), width 10000→1500'."""
        trained = self.apply(variant)
        parts = []
        if trained.epochs != variant.epochs:
            parts.append(f"epochs {variant.epochs}→{trained.epochs} (×{trained.epochs / variant.epochs:.3g})")
        if trained.hidden_units != variant.hidden_units:
            parts.append(f"widths {_widths(variant)}→{_widths(trained)}")
        if self.train_per_class is not None:
            parts.append(f"train {self.train_per_class}/class")
        if self.test_per_class is not None:
            parts.append(f"val {self.test_per_class}/class")
        return ", ".join(parts) or "as in the notes"


def _widths(variant: Variant) -> str:
    return "-".join(str(u) for u in variant.hidden_units)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        train_per_class=5,
        test_per_class=5,
        epochs={10: 2, 100: 3, 1000: 4},  # ≥ 2 so images/s has a steady (post-warm-up) epoch
        max_width=128,
        seeds=2,
        description="seconds per run; exercises the machinery, says nothing about the claims",
    ),
    # Budget: every claim × 3 seeds in ≤ 15 min on a 2-core CPU (one thread per xdist worker).
    # Orderings the notes compare are kept: epochs 10 < 100 < 1000, batch 128 vs 1024, first layer wider
    # than the rest. The 10,000-wide layer is capped at 1,500 (CPU-forced; still 1.5× the others).
    "quick": Profile(
        name="quick",
        train_per_class=30,
        test_per_class=20,
        epochs={10: 8, 100: 24, 1000: 32},
        max_width=1500,
        seeds=3,
        description="scaled for a 2-core CPU in ≤ 15 min; scale factors printed beside every result",
    ),
    "paper": Profile(
        name="paper",
        train_per_class=None,
        test_per_class=None,
        seeds=5,
        description="the notes exactly: full CIFAR-100, their epochs, widths and batch sizes (a GPU job)",
    ),
}


def get_profile(name: str) -> Profile:
    """Look a profile up by name; an unknown name lists the valid ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}.") from None
