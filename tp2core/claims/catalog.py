"""The notes' conclusions, and the ablations that attribute them (issue 14),
as Claim values (contract ids). benchmarks/ modules import CLAIMS and split them
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
# 10× (log10 = -1): at init model1's first-layer gradient passes two softmax(100) Jacobians of ~0.01 each, far
# below model0's (the measured ratio: the softmax-gradient-small-at-init row of the README's results).
# "At least 10× smaller" leaves room while still meaning "vanishes".
GRAD_SHRINK = -1.0
CHANCE_REASON = "the notes: 0.8%, 'near chance' (chance is 1 pt); below 5 pts, far under the baseline's 22"
GRAD_REASON = "the notes blame 'gradient flow': at least 10× smaller (log10 −1), a vanishing, not a nuance"
NOOP_REASON = "the notes: 0.26 vs 0.26, 'igual'; ±2 pts is below every change the notes treat as real (+2.84)"
# 10× (log10 = -1) as well, fixed before any run: "barely learns" is the same order as "vanishes" above.
WEIGHT_SHRINK = -1.0
WEIGHT_REASON = ("the notes: 'el ajuste de pesos sea poco eficiente'; at least 10× less movement (log10 −1), the same "
                 "order as 'vanishes'")
TRAIN_CHANCE_REASON = ("the notes: 0.8%, near chance; an optimisation failure keeps model1 near chance on its own "
                       "training set too (below 5 pts, as above)")
ZERO_DROP = "threshold 0: any drop"
# The learning guard's premises (tp2core.claims.regime), fixed before any run. An accuracy comparison of two models
# needs both to have learned; model1's collapse *is* the Primer Modelo claims, so there only the baseline must have
# learned ("a collapse" means nothing where the baseline sits at chance too); a gradient at initialisation and a
# throughput need no learning at all.
BASELINE_LEARNED = ("model0",)
ZERO_GAIN = "threshold 0: any gain"
# Issue 29: the notes compare model4 and the single-factor arms with model3. A profile may train model3 at the
# notes' 100 epochs while cost forces those comparisons ÷10 (quick); their baseline is then model3-base, model3 at
# the comparison's epoch scale (at paper, model3 exactly), so both arms stay in one phase. Only the variant an arm
# names changed, never a relation, threshold or margin.
IN_ONE_PHASE = ("; against model3-base, model3 at this comparison's epoch scale (model3 exactly at paper), so both "
                "arms share one phase where a profile trains model3 at the notes' 100 epochs")

CLAIMS: list[Claim] = [
    # Primer Modelo: "puse 2 extra con activacion softmax y 100 unidades y el modelo EMPEORO ... De 22% a 0.8%".
    Claim(
        name="hidden-softmax-collapses",
        ratios=('steps:model1/model0',),
        statement="Two hidden Dense(100, softmax) layers drop validation accuracy from the baseline to near chance.",
        notes_figure="22% → 0.8%",
        comparisons=(
            Comparison("model1", "model0", "less", label="model1 < model0", learned=BASELINE_LEARNED,
                       reason="the notes: 22% → 0.8%, a drop; threshold 0: any drop, its size is the second comparison's"),
            Comparison("model1", None, "less", constant=CHANCE_CEILING, learned=BASELINE_LEARNED,
                       label=f"model1 < {CHANCE_CEILING:g} pts (near chance, 1 pt)", reason=CHANCE_REASON),
        ),
    ),
    # Primer Modelo: "el gradiente a partir de softmax se hace mas chico ... esto hace que el ajuste de pesos sea
    # poco eficiente". Judged from training (issue 14), where the mechanism can fail: under Adam a gradient's scale
    # is largely normalised away, so the first layer must actually move ≥ 10× less, and model1 must fail to fit
    # its own training set (an optimisation failure keeps training accuracy near chance too).
    Claim(
        name="softmax-gradient-vanishes",
        ratios=("steps:model1/model0",),
        statement="Through hidden softmax layers the first layer barely learns: it moves at least 10× less than "
        "the baseline's and model1 stays near chance on its own training set.",
        notes_figure="explanation of 22% → 0.8% ('gradient flow')",
        comparisons=(
            Comparison("model1", "model0", "less", metric="first_layer_weight_change", threshold=WEIGHT_SHRINK,
                       learned=BASELINE_LEARNED, label="first-layer ‖ΔW‖/‖W₀‖: model1 ≤ model0 / 10",
                       reason=WEIGHT_REASON),
            Comparison("model1", None, "less", metric="train_accuracy", constant=CHANCE_CEILING,
                       learned=BASELINE_LEARNED, label=f"model1 train accuracy < {CHANCE_CEILING:g} pts",
                       reason=TRAIN_CHANCE_REASON),
        ),
    ),
    # The architecture's part of the explanation, kept as a figure: at initialisation, before any optimiser acts,
    # the gradient reaching the first layer through two softmax(100) Jacobians is ≥ 10× smaller.
    Claim(
        name="softmax-gradient-small-at-init",
        ratios=("steps:model1/model0",),
        statement="At initialisation the gradient reaching the first layer is much smaller through hidden softmax "
        "layers (architecture alone; says nothing about training under Adam).",
        notes_figure="'gradient flow' (at initialisation)",
        comparisons=(
            Comparison("model1", "model0", "less", metric="first_layer_grad_norm", threshold=GRAD_SHRINK,
                       learned=(), label="first-layer grad norm: model1 ≤ model0 / 10", reason=GRAD_REASON),
        ),
    ),
    # Segundo Modelo: "Fueron removidas las capas sofmax. Agregue una capa relu" → 0.26 (baseline 0.22).
    Claim(
        name="relu-beats-course-baseline",
        ratios=('steps:model2/model0',),
        statement="Three ReLU hidden layers instead of hidden softmax beat the course baseline.",
        notes_figure="22% → 26%",
        comparisons=(Comparison("model2", "model0", "greater", learned=("model2", "model0"), label="model2 > model0",
                                reason="the notes: 22% → 26%, a gain; threshold 0: any gain"),),
    ),
    # Segundo Modelo: "Sin data augmentation --> 0.26 / Con data augmentation --> 0.26" (the bug: Quinto Modelo).
    Claim(
        name="single-batch-augmentation-is-noop",
        ratios=('steps:model2-bugaug/model2', 'share:model2-bugaug'),
        statement="Augmenting a single batch, as the notes unknowingly did, leaves validation accuracy unchanged.",
        notes_figure="0.26 vs 0.26",
        comparisons=(
            Comparison("model2-bugaug", "model2", "equivalent", learned=("model2-bugaug", "model2"), margin=NOOP_MARGIN,
                       label=f"model2-bugaug ≈ model2 (±{NOOP_MARGIN:g} pts)", reason=NOOP_REASON),
        ),
    ),
    # Tercer Modelo: "Se aumentaron la cantidad de epocs de 10 a 100 y se vio una mejora" → 0.2884.
    Claim(
        name="more-epochs-help",
        ratios=('steps:model3/model2',),
        statement="Training 100 epochs instead of 10 improves validation accuracy.",
        notes_figure="0.26 → 0.2884",
        comparisons=(Comparison("model3", "model2", "greater", learned=("model3", "model2"), label="model3 > model2",
                                reason="the notes: 0.26 → 0.2884, a gain; threshold 0: any gain"),),
    ),
    # Cuarto Modelo: batch 1024, first layer 10K, more ReLU layers, 1000 epochs → 0.2374, "el overall
    # performance empeoro". Four changes at once: the notes' compound observation, kept as observed.
    Claim(
        name="model4-worse-than-model3",
        ratios=("steps:model4/model3-base", "width:model4"),
        statement="model4 (batch 1024, a 10,000-wide first layer, two more ReLU layers, 1000 epochs) is worse "
        "than model3.",
        notes_figure="0.2884 → 0.2374",
        comparisons=(Comparison("model4", "model3-base", "less", learned=("model4", "model3-base"),
                                label="model4 < model3-base",
                                reason="the notes: 0.2884 → 0.2374, 'empeoro'; threshold 0: any drop" + IN_ONE_PHASE),),
    ),
    # Cuarto Modelo: "concluí que el agregar capas con tantas neuronas 10K no tiene un buen impacto": the notes'
    # attribution, judged on the one arm that changes only the first layer's width (model3-wide, issue 14).
    Claim(
        name="wide-first-layer-hurts",
        ratios=("steps:model3-wide/model3-base", "width:model3-wide"),
        statement="A 10,000-wide first layer, all else as model3, is worse than model3.",
        notes_figure="0.2884 → 0.2374 (attributed to the 10K layer)",
        comparisons=(Comparison("model3-wide", "model3-base", "less", learned=("model3-wide", "model3-base"),
                                label="model3-wide < model3-base",
                                reason="the notes: 'tantas neuronas 10K no tiene un buen impacto'; " + ZERO_DROP + IN_ONE_PHASE),),
    ),
    # The other three of model4's four changes, one arm each. Directions are the notes' own expectations, fixed
    # before any run: batch 1024 "puede traer beneficios", ReLU layers "Conviene poner capas intermedias con
    # activaciones como RELU", and more epochs had helped before ("de 10 a 100 ... se vio una mejora").
    Claim(
        name="large-batch-helps",
        ratios=("steps:model3-b1024/model3-base",),
        statement="Batch 1024 instead of 128, epoch-matched (100 epochs, 8× fewer steps), all else as model3, helps.",
        notes_figure="'puede traer beneficios a la hora de entrenar'",
        comparisons=(Comparison("model3-b1024", "model3-base", "greater", learned=("model3-b1024", "model3-base"),
                                label="model3-b1024 > model3-base",
                                reason="the notes: batch 1024 'puede traer beneficios'; " + ZERO_GAIN + IN_ONE_PHASE),),
    ),
    Claim(
        name="extra-relu-layers-help",
        ratios=("steps:model3-deep/model3-base",),
        statement="Two more Dense(1000, relu) layers, all else as model3, help.",
        notes_figure="'se agregaron mas capas relu intermedias'",
        comparisons=(Comparison("model3-deep", "model3-base", "greater", learned=("model3-deep", "model3-base"),
                                label="model3-deep > model3-base",
                                reason="the notes: 'Conviene poner capas intermedias con activaciones como RELU'; "
                                + ZERO_GAIN + IN_ONE_PHASE),),
    ),
    Claim(
        name="thousand-epochs-help",
        ratios=("steps:model3-e1000/model3-base",),
        statement="1000 epochs instead of 100, all else as model3, help.",
        notes_figure="'Epochs 1000'",
        comparisons=(Comparison("model3-e1000", "model3-base", "greater", learned=("model3-e1000", "model3-base"),
                                label="model3-e1000 > model3-base",
                                reason="the notes: 10 → 100 epochs 'se vio una mejora', then 1000; " + ZERO_GAIN
                                + IN_ONE_PHASE),),
    ),
    # Cuarto/Quinto Modelo: "con data augmentation los resultados dieron mejores" (0.2394 vs 0.2374), then
    # "no tomaba todas las imagenes posibles sino un solo batch, es por esto que mejoro ... cuando aumente el
    # batch size". The share is an exact count; the accuracy gain (+0.2 pts in the notes) may be within noise.
    Claim(
        name="bug-share-grows-with-batch",
        ratios=('steps:model4-bugaug/model4', 'share:model2-bugaug', 'share:model4-bugaug', 'width:model4'),
        statement="Under the single-batch bug the augmented share grows with batch size, which is why "
        "augmentation seemed to help at batch 1024.",
        notes_figure="0.2374 vs 0.2394",
        comparisons=(Comparison("model4-bugaug", "model4", "greater", learned=("model4-bugaug", "model4"),
                                label="model4-bugaug > model4",
                                reason="the notes: 0.2374 vs 0.2394, 'dieron mejores'; threshold 0: any gain"),),
        checks=(AugmentedShareCheck(batch_sizes=(128, 1024)),),
    ),
    # Quinto Modelo: "concatene y mezcle las imagenes originales con los augmentados" → 0.3.
    Claim(
        name="full-augmentation-helps",
        ratios=('steps:model5/model4', 'steps:model5/model4-bugaug', 'data:model5/model4', 'width:model4'),
        statement="Augmenting the whole training set, concatenated with the originals and shuffled, helps.",
        notes_figure="0.2374 → 0.30",
        comparisons=(
            Comparison("model5", "model4", "greater", learned=("model5", "model4"), label="model5 > model4",
                       reason="the notes: 0.2374 → 0.30; threshold 0: any gain"),
            Comparison("model5", "model4-bugaug", "greater", learned=("model5", "model4-bugaug"),
                       label="model5 > model4-bugaug",
                       reason="the notes: 0.2394 (bug) → 0.30; the gain must not be the bug's"),
        ),
    ),
    # Quinto Modelo: "así tengo el doble de datos para entrenar" — but doubling the images also doubled the
    # optimizer steps. model4-e2000 takes model5's steps on model4's data, so model5 > model4-e2000 is the data.
    Claim(
        name="more-data-not-more-steps",
        ratios=("steps:model5/model4-e2000", "data:model5/model4-e2000", "width:model4"),
        statement="model5 beats model4 trained for the same number of optimizer steps: the gain is the data.",
        notes_figure="0.2374 → 0.30 ('el doble de datos')",
        comparisons=(Comparison("model5", "model4-e2000", "greater", learned=("model5", "model4-e2000"),
                                label="model5 > model4-e2000",
                                reason="the notes credit 'el doble de datos', not the steps; " + ZERO_GAIN),),
    ),
    # Segundo Modelo: "Cambie el train y validation set a imagenes augmentated ... se augmentaron imagenes y luego
    # se concatenaron": the notes' 30% was measured on augmented + original held-out images, the suite's on clean
    # ones. Equivalence within NOOP_MARGIN means the 30% does not depend on how it was validated.
    Claim(
        name="augmented-validation-is-immaterial",
        ratios=("steps:model5-augval/model5",),
        statement="Validating model5 on augmented + original held-out images, as the notes did, gives the same "
        "accuracy as validating on the clean held-out images.",
        notes_figure="0.30 (validated on augmented images)",
        comparisons=(
            Comparison("model5-augval", "model5", "equivalent", learned=("model5-augval", "model5"), margin=NOOP_MARGIN,
                       label=f"model5-augval ≈ model5 (±{NOOP_MARGIN:g} pts)",
                       reason="the notes validated on augmented images ('Cambie … a imagenes augmentated'); ±2 pts as "
                              "for the no-op: below every change the notes treat as real (+2.84)"),
        ),
    ),
    # Cuarto Modelo: "Se aumento el batch size de 128 a 1024 ... ya que toma más imágenes por iteración".
    # Same network (model2) at both batch sizes, so only the batch size differs; threshold 0 = any speed-up.
    Claim(
        name="large-batch-is-faster",
        ratios=('batch:model2-b1024/model2',),
        statement="With the same network, batch 1024 trains more images per second than batch 128.",
        notes_figure="batch 128 → 1024 ('toma más imágenes por iteración')",
        comparisons=(
            Comparison("model2-b1024", "model2", "greater", metric="images_per_second", threshold=0.0, learned=(),
                       label="images/s: model2-b1024 > model2",
                       reason="the notes: 'toma más imágenes por iteración'; threshold 0 (log10): any speed-up"),
        ),
    ),
]

CLAIMS_BY_NAME: dict[str, Claim] = {c.name: c for c in CLAIMS}

# Attribution of model4 − model3 and model5 − model4 (issue 14): factor → the claim whose single comparison
# measures that factor's effect on validation accuracy, in pts (tp2core.output.tables.attribution_rows).
ATTRIBUTION: tuple[tuple[str, str], ...] = (
    ("all four at once (model4 − model3-base)", "model4-worse-than-model3"),
    ("batch 128 → 1024, epoch-matched", "large-batch-helps"),
    ("first layer 1,000 → 10,000", "wide-first-layer-hurts"),
    ("two extra ReLU layers", "extra-relu-layers-help"),
    ("epochs 100 → 1000", "thousand-epochs-help"),
    ("2× data at equal steps (model5 − model4-e2000)", "more-data-not-more-steps"),
    ("validated on augmented images (model5-augval − model5)", "augmented-validation-is-immaterial"),
)
