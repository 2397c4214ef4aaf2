"""The notes' nine conclusions as Claim values (contract ids). benchmarks/ modules import CLAIMS and split them
by topic; ``CLAIMS_BY_NAME`` looks one up.

Each claim cites its section of the lab notes (README: "The notes"). Units follow tp2core.claims.claim: accuracy effects
in percentage points, gradient-norm and throughput effects as log10 ratios. A claim holds only what the notes
say — direction, threshold or margin, each with its reason — fixed before any run; what was measured lives in
references/*.json (written by --tp2-update-references), never here.
"""

from __future__ import annotations

from .checks import AugmentedShareCheck
from .claim import Claim, Comparison

CHANCE_CEILING = 5.0  # pts; "near chance" = below 5 (chance is 1 pt, the notes got 0.8); the baseline has 22
# ±2 pts: below every accuracy change the notes treat as real (smallest: 26 → 28.84, +2.84 pts) while the
# notes call 0.26 vs 0.26 "igual"; the bug adds 128 of 50,000 images (0.26%), so any true effect is far smaller.
NOOP_MARGIN = 2.0
# 10× (log10 = -1): at init, model1/model0 measured -4.06, -4.06, -4.10 (seeds 0-2; tp2core.recipe.models +
# train.gradient_norms on 256 random images): two softmax(100) Jacobians of ~0.01 each. "At least 10× smaller"
# leaves three decades of room while still meaning "vanishes".
GRAD_SHRINK = -1.0
CHANCE_REASON = "the notes: 0.8%, 'near chance' (chance is 1 pt); below 5 pts, far under the baseline's 22"
GRAD_REASON = "the notes blame 'gradient flow': at least 10× smaller (log10 −1), a vanishing, not a nuance"
NOOP_REASON = "the notes: 0.26 vs 0.26, 'igual'; ±2 pts is below every change the notes treat as real (+2.84)"

CLAIMS: list[Claim] = [
    # Primer Modelo: "puse 2 extra con activacion softmax y 100 unidades y el modelo EMPEORO ... De 22% a 0.8%".
    Claim(
        name="hidden-softmax-collapses",
        statement="Two hidden Dense(100, softmax) layers drop validation accuracy from the baseline to near chance.",
        notes_figure="22% → 0.8%",
        comparisons=(
            Comparison("model1", "model0", "less", label="model1 < model0",
                       reason="the notes: 22% → 0.8%, a drop; threshold 0: any drop, its size is the second comparison's"),
            Comparison("model1", None, "less", constant=CHANCE_CEILING,
                       label=f"model1 < {CHANCE_CEILING:g} pts (near chance, 1 pt)", reason=CHANCE_REASON),
        ),
    ),
    # Primer Modelo: "el gradiente a partir de softmax se hace mas chico ... (gradient flow)".
    Claim(
        name="softmax-gradient-vanishes",
        statement="The gradient reaching the first layer is much smaller through hidden softmax layers.",
        notes_figure="explanation of 22% → 0.8% ('gradient flow')",
        comparisons=(
            Comparison("model1", "model0", "less", metric="first_layer_grad_norm", threshold=GRAD_SHRINK,
                       label="first-layer grad norm: model1 ≤ model0 / 10", reason=GRAD_REASON),
        ),
    ),
    # Segundo Modelo: "Fueron removidas las capas sofmax. Agregue una capa relu" → 0.26 (baseline 0.22).
    Claim(
        name="relu-beats-course-baseline",
        statement="Three ReLU hidden layers instead of hidden softmax beat the course baseline.",
        notes_figure="22% → 26%",
        comparisons=(Comparison("model2", "model0", "greater", label="model2 > model0",
                                reason="the notes: 22% → 26%, a gain; threshold 0: any gain"),),
    ),
    # Segundo Modelo: "Sin data augmentation --> 0.26 / Con data augmentation --> 0.26" (the bug: Quinto Modelo).
    Claim(
        name="single-batch-augmentation-is-noop",
        statement="Augmenting a single batch, as the notes unknowingly did, leaves validation accuracy unchanged.",
        notes_figure="0.26 vs 0.26",
        comparisons=(
            Comparison("model2-bugaug", "model2", "equivalent", margin=NOOP_MARGIN,
                       label=f"model2-bugaug ≈ model2 (±{NOOP_MARGIN:g} pts)", reason=NOOP_REASON),
        ),
    ),
    # Tercer Modelo: "Se aumentaron la cantidad de epocs de 10 a 100 y se vio una mejora" → 0.2884.
    Claim(
        name="more-epochs-help",
        statement="Training 100 epochs instead of 10 improves validation accuracy.",
        notes_figure="0.26 → 0.2884",
        comparisons=(Comparison("model3", "model2", "greater", label="model3 > model2",
                                reason="the notes: 0.26 → 0.2884, a gain; threshold 0: any gain"),),
    ),
    # Cuarto Modelo: batch 1024, first layer 10K, more ReLU layers, 1000 epochs → 0.2374, "el overall
    # performance empeoro ... capas con tantas neuronas 10K no tiene un buen impacto".
    Claim(
        name="wide-first-layer-hurts",
        statement="Batch 1024 with a 10,000-wide first layer and 1000 epochs is worse than model3.",
        notes_figure="0.2884 → 0.2374",
        comparisons=(Comparison("model4", "model3", "less", label="model4 < model3",
                                reason="the notes: 0.2884 → 0.2374, 'empeoro'; threshold 0: any drop"),),
    ),
    # Cuarto/Quinto Modelo: "con data augmentation los resultados dieron mejores" (0.2394 vs 0.2374), then
    # "no tomaba todas las imagenes posibles sino un solo batch, es por esto que mejoro ... cuando aumente el
    # batch size". The share is an exact count; the accuracy gain (+0.2 pts in the notes) may be within noise.
    Claim(
        name="bug-share-grows-with-batch",
        statement="Under the single-batch bug the augmented share grows with batch size, which is why "
        "augmentation seemed to help at batch 1024.",
        notes_figure="0.2374 vs 0.2394",
        comparisons=(Comparison("model4-bugaug", "model4", "greater", label="model4-bugaug > model4",
                                reason="the notes: 0.2374 vs 0.2394, 'dieron mejores'; threshold 0: any gain"),),
        checks=(AugmentedShareCheck(batch_sizes=(128, 1024)),),
    ),
    # Quinto Modelo: "concatene y mezcle las imagenes originales con los augmentados" → 0.3.
    Claim(
        name="full-augmentation-helps",
        statement="Augmenting the whole training set, concatenated with the originals and shuffled, helps.",
        notes_figure="0.2374 → 0.30",
        comparisons=(
            Comparison("model5", "model4", "greater", label="model5 > model4",
                       reason="the notes: 0.2374 → 0.30; threshold 0: any gain"),
            Comparison("model5", "model4-bugaug", "greater", label="model5 > model4-bugaug",
                       reason="the notes: 0.2394 (bug) → 0.30; the gain must not be the bug's"),
        ),
    ),
    # Cuarto Modelo: "Se aumento el batch size de 128 a 1024 ... ya que toma más imágenes por iteración".
    # Same network (model2) at both batch sizes, so only the batch size differs; threshold 0 = any speed-up.
    Claim(
        name="large-batch-is-faster",
        statement="With the same network, batch 1024 trains more images per second than batch 128.",
        notes_figure="batch 128 → 1024 ('toma más imágenes por iteración')",
        comparisons=(
            Comparison("model2-b1024", "model2", "greater", metric="images_per_second", threshold=0.0,
                       label="images/s: model2-b1024 > model2",
                       reason="the notes: 'toma más imágenes por iteración'; threshold 0 (log10): any speed-up"),
        ),
    ),
]

CLAIMS_BY_NAME: dict[str, Claim] = {c.name: c for c in CLAIMS}
