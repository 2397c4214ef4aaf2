"""The fast training loop: one compiled TensorFlow call per epoch instead of one Python→graph dispatch per batch.

``model.fit`` at batch 128 on a 2-core CPU spends a third of its time outside the matrix products: callbacks,
metrics, the data adapter, tf.data iteration, one graph dispatch per step, and Keras' Adam, which runs about
ten separate elementwise ops over the 5.2 M parameters (each a pass through memory). Here a whole epoch is one
``tf.while_loop``: the training set stays resident as a tensor (on the GPU when there is one), each step
gathers its batch through the epoch's index permutation, and Adam is TF's fused one-pass kernel
(``ResourceApplyAdam``: the same formula and float32 operation order as Keras' ``Adam.update_step``; tests
compare the two bitwise).

Same recipe as ``fit``: the model's compiled loss (``model.compute_loss``), its optimizer and learning rate,
per-sample mean loss and accuracy per epoch, validation once per epoch at the same batch size, the last
partial batch kept. Different data order: a seeded permutation per epoch (``epoch_order``), independent of the
thread count and device.

Non-finite values: each step checks its loss (a scalar, free); reading every weight each step would cost a
few per cent of a batch-128 step (measured: docs/perf.md, "The fast loop"), so weights are checked once per
epoch. Non-finite weights are absorbing under Adam (NaN/Inf stay), so a clean end-of-epoch check proves every
step of the epoch was clean. After any failure the run is replayed from its initial state, deterministically,
with the full per-step check, and stops at the first bad batch: the state and the callbacks' report are those of
a per-batch check, at zero cost to healthy runs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial

import numpy as np

ORDER_DTYPE = np.int32  # permutation indices; CIFAR-sized sets are far below 2**31 images


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order of the ``n`` training images in ``epoch`` (0-based) of a run with ``seed``: a permutation.

    numpy's PCG64 seeded by (seed, epoch): the same on every machine, thread count and device.
    """
    return np.random.default_rng([seed, epoch]).permutation(n).astype(ORDER_DTYPE)


@dataclass(frozen=True)
class FitPlan:
    """How ``fit`` trains: Keras ``fit``'s arguments of the same names, plus the seed of the data order."""

    batch_size: int  # images per step; the last partial batch is kept
    epochs: int  # passes over the training set (fewer when training goes non-finite or a callback stops it)
    seed: int  # data order: epoch_order(seed, epoch)
    validation_data: tuple | None = None  # (x, y) evaluated after each epoch at batch_size, or None
    initial_epoch: int = 0  # epochs already done (a resumed run: training.checkpoint), as Keras fit's
    # further validation sets, each (prefix, x, y): evaluated after validation_data as it is, logged as
    # "<prefix>val_loss" / "<prefix>val_accuracy" (one training, several records: training.shared)
    also_validate: tuple = ()


def fit(model, x, y, plan: FitPlan, callbacks=(), initial_state: list[np.ndarray] | None = None
        ) -> dict[str, list[float]]:
    """Train a compiled Keras (TensorFlow backend) model; returns the history ``fit`` would (per-epoch lists).

    Callbacks get ``set_model``, ``on_train_begin``, ``on_epoch_begin``, ``on_test_begin`` (training time of the
    epoch ends), ``on_epoch_end(epoch, logs)`` and ``on_train_end``; ``on_train_batch_end(batch, {"loss": …})``
    only for the batch where training went non-finite (the running mean loss, as Keras logs it). Training
    stops after that epoch's validation, as ``fit`` does when a callback sets ``stop_training``. A resumed run
    passes ``initial_state`` (EpochLoop.snapshot's order) and ``plan.initial_epoch``; its history starts there.
    """
    loop = EpochLoop(model, plan.batch_size)
    train = loop.resident(x), loop.resident(np.asarray(y, np.int64))
    val = None
    if plan.validation_data is not None:
        val = loop.resident(plan.validation_data[0]), loop.resident(np.asarray(plan.validation_data[1], np.int64))
    also = [(prefix, loop.resident(vx), loop.resident(np.asarray(vy, np.int64)))
            for prefix, vx, vy in plan.also_validate]
    history: dict[str, list[float]] = {}
    model.stop_training = False
    for callback in callbacks:
        callback.set_model(model)
    _call(callbacks, "on_train_begin")
    if initial_state is not None:
        loop.restore(initial_state)
    initial = loop.snapshot()
    for epoch in range(plan.initial_epoch, plan.epochs):
        _call(callbacks, "on_epoch_begin", epoch)
        stats = loop.train_epoch(*train, epoch_order(plan.seed, epoch, len(x)), checked=False)
        failed = stats["bad_step"] >= 0 or not loop.weights_finite()
        if failed:  # replay from the start with the per-step weight check, to stop at the exact batch
            stats = _replay_checked(loop, train, initial, plan.seed, epoch, plan.initial_epoch)
            bad = stats["bad_step"] if stats["bad_step"] >= 0 else stats["steps"] - 1
            _call(callbacks, "on_train_batch_end", bad, {"loss": stats["loss"]})
        logs = _epoch_logs(loop, stats, val, callbacks)
        for prefix, vx, vy in also:
            logs[f"{prefix}val_loss"], logs[f"{prefix}val_accuracy"] = loop.evaluate(vx, vy)
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        _call(callbacks, "on_epoch_end", epoch, dict(logs))
        if failed or getattr(model, "stop_training", False):
            break
    _call(callbacks, "on_train_end")
    return history


def _replay_checked(loop: EpochLoop, train: tuple, initial: list[np.ndarray], seed: int, epoch: int,
                    first: int = 0) -> dict:
    """Epoch ``epoch``'s stats replayed from the initial state with every weight checked each step: the earlier
    epochs as before (deterministic), then this one stopping at its first non-finite batch."""
    n = int(train[0].shape[0])
    loop.restore(initial)
    for earlier in range(first, epoch):
        loop.train_epoch(*train, epoch_order(seed, earlier, n), checked=False)
    return loop.train_epoch(*train, epoch_order(seed, epoch, n), checked=True)


def _epoch_logs(loop: EpochLoop, stats: dict, val: tuple | None, callbacks) -> dict[str, float]:
    """The epoch's logs in ``fit``'s key order; validation (``on_test_begin`` first) when there is a set."""
    logs = {"accuracy": stats["accuracy"], "loss": stats["loss"]}
    _call(callbacks, "on_test_begin")
    if val is not None:
        val_loss, logs["val_accuracy"] = loop.evaluate(*val)
        logs["val_loss"] = val_loss  # keys in fit's order
    return logs


def _call(callbacks, hook, *args):
    for callback in callbacks:
        getattr(callback, hook)(*args)


class EpochLoop:
    """Compiled epoch and evaluation functions for one compiled Keras model (TensorFlow backend)."""

    def __init__(self, model, batch_size: int):
        import keras
        import tensorflow as tf

        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(f"tp2core.training.fastfit needs the TensorFlow backend (got {keras.backend.backend()!r})")
        self.model, self.batch_size = model, int(batch_size)
        self.weights = list(model.trainable_variables)
        self.optimizer = model.optimizer
        self.optimizer.build(self.weights)  # variables created eagerly, never inside the compiled loop
        self.fused = fused_adam_applicable(self.optimizer, self.weights)
        # Keras < 3.4's compute_loss has no `training` argument (tox tests TF 2.16 + Keras 3.0).
        self._loss_takes_training = "training" in inspect.signature(model.compute_loss).parameters
        self.device = "/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0"
        # partial objects, not methods or lambdas: TF counts tracings per __code__ and warns about "excessive
        # retracing" when many runs in one process each trace their own loop once.
        self._epoch = {c: tf.function(partial(self._train, checked=c), autograph=False) for c in (False, True)}
        self._evaluate = tf.function(partial(self._eval), autograph=False)
        self._finite = tf.function(partial(weights_finite, self.weights), autograph=False)

    def resident(self, array):
        """The array as a tensor on the training device (copied once per run, not per batch)."""
        import tensorflow as tf

        with tf.device(self.device):
            return tf.identity(tf.convert_to_tensor(array))

    def train_epoch(self, x, y, order: np.ndarray, *, checked: bool) -> dict:
        """One epoch in one call. ``bad_step``: 0-based batch where the loss (or, if ``checked``, a weight)
        went non-finite and training stopped, else -1. ``loss``/``accuracy``: per-image means up to there."""
        steps, loss_sum, correct, seen, bad = self._epoch[checked](x, y, order)
        seen = float(seen)
        return {
            "steps": int(steps),
            "bad_step": int(bad),
            "loss": float(loss_sum) / seen,
            "accuracy": float(correct) / seen,
        }

    def _train(self, x, y, order, checked):
        import tensorflow as tf

        n = tf.shape(order)[0]
        steps = (n + self.batch_size - 1) // self.batch_size

        def body(step, loss_sum, correct, seen, bad):
            start = step * self.batch_size
            index = order[start : tf.minimum(start + self.batch_size, n)]
            xb, yb = tf.gather(x, index), tf.gather(y, index)
            with tf.GradientTape() as tape:
                pred = self.model(xb, training=True)
                loss = self._loss(xb, yb, pred, training=True)
            grads = tape.gradient(loss, self.weights)
            update = self.apply_update(grads)
            with tf.control_dependencies(update):
                count = tf.cast(tf.shape(index)[0], tf.float32)
                ok = tf.math.is_finite(loss)
                if checked:
                    ok = tf.logical_and(ok, weights_finite(self.weights))
                return (
                    step + 1,
                    loss_sum + loss * count,  # float32 sums, as Keras' Mean metric keeps them
                    correct + _correct(yb, pred),
                    seen + count,
                    tf.where(ok, bad, step),
                )

        def more(step, loss_sum, correct, seen, bad):
            return tf.logical_and(step < steps, bad < 0)

        zero = tf.constant(0.0)
        return tf.while_loop(more, body, (tf.constant(0), zero, zero, zero, tf.constant(-1)))

    def _loss(self, x, y, pred, *, training):
        if self._loss_takes_training:
            return self.model.compute_loss(x=x, y=y, y_pred=pred, training=training)
        return self.model.compute_loss(x=x, y=y, y_pred=pred)

    def apply_update(self, grads):
        """One optimizer step on the model's weights (call inside a ``tf.function``); returns the ops to wait for.
        Fused Adam when it computes exactly what Keras' Adam would, else Keras' ``optimizer.apply``."""
        import tensorflow as tf

        if not self.fused:
            self.optimizer.apply(grads, self.weights)
            return [tf.convert_to_tensor(self.optimizer.iterations)]  # read after the update (auto control deps)
        opt = self.optimizer
        local_step = tf.cast(opt.iterations + 1, tf.float32)  # as Keras' Adam.update_step
        beta_1, beta_2 = tf.constant(opt.beta_1, tf.float32), tf.constant(opt.beta_2, tf.float32)
        args = dict(
            beta1_power=tf.pow(beta_1, local_step),
            beta2_power=tf.pow(beta_2, local_step),
            lr=tf.cast(opt.learning_rate, tf.float32),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.constant(opt.epsilon, tf.float32),
        )
        updates = []
        for weight, grad in zip(self.weights, grads):
            i = opt._get_variable_index(weight)
            updates.append(
                tf.raw_ops.ResourceApplyAdam(
                    var=weight.handle, m=opt._momentums[i].handle, v=opt._velocities[i].handle, grad=grad, **args
                )
            )
        with tf.control_dependencies(updates):
            opt.iterations.assign_add(1)  # returns None on Keras 3.0: read the counter back instead
            return [tf.convert_to_tensor(opt.iterations)]

    def evaluate(self, x, y) -> tuple[float, float]:
        """(mean loss, accuracy) over the whole set, in batches of the training batch size, as ``fit`` validates."""
        loss_sum, correct = self._evaluate(x, y)
        n = int(x.shape[0])
        return float(loss_sum) / n, float(correct) / n

    def _eval(self, x, y):
        import tensorflow as tf

        n = tf.shape(x)[0]
        steps = (n + self.batch_size - 1) // self.batch_size

        def body(step, loss_sum, correct):
            start = step * self.batch_size
            xb, yb = x[start : start + self.batch_size], y[start : start + self.batch_size]
            pred = self.model(xb, training=False)
            loss = self._loss(xb, yb, pred, training=False)
            count = tf.cast(tf.shape(yb)[0], tf.float32)
            return step + 1, loss_sum + loss * count, correct + _correct(yb, pred)

        zero = tf.constant(0.0)
        _, loss_sum, correct = tf.while_loop(lambda s, *_: s < steps, body, (tf.constant(0), zero, zero))
        return loss_sum, correct

    def weights_finite(self) -> bool:
        return bool(self._finite())

    def snapshot(self) -> list[np.ndarray]:
        """Every model and optimizer variable (weights, Adam moments, step counter), as host copies."""
        return [np.array(v.numpy(), copy=True) for v in self._state()]

    def restore(self, values: list[np.ndarray]) -> None:
        for variable, value in zip(self._state(), values):
            variable.assign(value)

    def _state(self):
        return list(self.model.variables) + list(self.optimizer.variables)


def fused_adam_applicable(optimizer, weights) -> bool:
    """Whether ``ResourceApplyAdam`` computes what this optimizer's ``apply`` would: plain Adam, float32,
    constant learning rate, no clipping, weight decay, EMA, loss scaling, accumulation or constraints."""
    import keras

    plain = type(optimizer) is keras.optimizers.Adam and not optimizer.amsgrad
    names = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "gradient_accumulation_steps")
    extras = [getattr(optimizer, name, None) for name in (*names, "loss_scale_factor")]  # newer Keras adds some
    rate = getattr(optimizer, "_learning_rate", None)
    constant_lr = rate is not None and not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)
    return (
        plain
        and all(e is None for e in extras)
        and not getattr(optimizer, "use_ema", False)
        and constant_lr
        and all(w.dtype == "float32" and w.constraint is None for w in weights)
    )


def _correct(y, pred):
    """Number of images whose argmax matches the label (Keras' sparse categorical accuracy, first max wins)."""
    import tensorflow as tf

    hits = tf.equal(tf.cast(y, tf.int64), tf.argmax(pred, axis=-1, output_type=tf.int64))
    return tf.reduce_sum(tf.cast(hits, tf.float32))


def all_finite(tensors):
    """One boolean tensor: every element of every tensor (or tf.Variable) is finite. The one definition of
    tp2's weight check, compiled inside the epoch loop here and per batch by tp2core.training.train."""
    import tensorflow as tf

    return tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(t)) for t in tensors]))


def weights_finite(weights):
    """``all_finite`` of Keras variables, read where it is called (inside the compiled loop: after the update)."""
    return all_finite([w.value for w in weights])
