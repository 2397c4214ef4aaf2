"""One tp2 session per process: options, the dataset (loaded once), the store, and getting runs.

Plain Python, testable without pytest; the pytest plugin and the CLI both drive it. TensorFlow is imported
only when something actually has to be trained, so a rerun with everything stored stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .errors import ConfigError, RunFailed
from .executor import check_executor_name, check_executor_options
from .training.hardware import visible_gpu_count
from .training.precision import check_precision
from .training.runs import RunResult, RunSpec
from .recipe.variants import Profile, get_profile, get_variant


@dataclass(frozen=True)
class Options:
    """What the user chose (pytest --tp2-* options or CLI flags); None = default."""

    profile: str = "auto"  # smoke | quick | paper | auto (paper when a GPU is visible, else quick)
    dataset: str = "auto"  # cifar100 | simulated | auto | path to an archive or extracted folder
    data_path: str | None = None  # explicit CIFAR-100 archive location (TP2_DATA)
    cache: str | None = None  # prepared-dataset cache (TP2_CACHE); None = default
    seeds: int | None = None  # seeds per variant; None = the profile's
    store: str | None = None  # results store directory; None = TP2_STORE or .tp2/
    report_dir: str | None = None  # where tables/report files go; None = <store>/report
    gate: str | None = None  # reference JSON to gate against
    update_references: bool = False
    strict: bool = False  # --tp2-strict: an inconclusive claim fails its test too
    precision: str = "float32"  # float32 (the recipe) | tf32 | mixed_bfloat16: opt-in numerics (tp2core.training.precision)
    executor: str = "local"  # a name in tp2core.executor.EXECUTORS (local: each pytest process trains)
    # the chosen executor's own options by ExecutorOption.key (e.g. ray_address), declared by each executor
    executor_options: dict = field(default_factory=dict)
    threads: int = 1  # intra-op threads of every run (part of its identity): TP2_THREADS, read where options are read
    max_seeds: int | None = None  # --tp2-max-seeds: adaptive seeds up to this many per variant; None = fixed seeds
    budget: float | None = None  # --tp2-budget: the budgeted design's CPU-s of the cost model; None = the profile's
    tensorboard: str | None = None  # --tp2-tensorboard DIR: TensorBoard event files of every run; None = none

    def __post_init__(self) -> None:
        if self.seeds is not None and (
            not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or not 1 <= self.seeds <= 1000
        ):
            raise ConfigError(f"'seeds' must be an int in [1, 1000] (got {self.seeds!r}); e.g. --tp2-seeds 5.")
        if self.profile != "auto":
            get_profile(self.profile)  # raises with the valid names
        check_precision(self.precision)
        if self.max_seeds is not None and (not isinstance(self.max_seeds, int) or isinstance(self.max_seeds, bool)
                                           or not 2 <= self.max_seeds <= 1000):
            raise ConfigError(f"'max_seeds' must be an int in [2, 1000] (got {self.max_seeds!r}); e.g. "
                              f"--tp2-max-seeds 10.")
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 1:
            raise ConfigError(f"'threads' must be a positive int (got {self.threads!r}); e.g. TP2_THREADS=1.")
        from .claims.design import check_options

        check_options(seeds=self.seeds, max_seeds=self.max_seeds, budget=self.budget)
        check_executor_name(self.executor, "'executor'")
        check_executor_options(self.executor_options)


def resolve_profile(name: str) -> Profile:
    if name == "auto":  # paper when this process may use a GPU (no TensorFlow import to find out)
        return get_profile("paper" if visible_gpu_count() > 0 else "quick")
    return get_profile(name)


def store_root(options: Options) -> str:
    from .store.database import default_store_root

    return str(default_store_root(options.store))


@dataclass
class Tp2Session:
    """Per-process state. ``run`` trains a (variant, seed) once across all processes, or reuses it."""

    options: Options = field(default_factory=Options)
    # claims collected this session (after -k) that the profile judges (``collect``): their runs are trained or
    # waited for before any claim is judged, so every worker judges the family on the same runs
    collected_claims: list = field(default_factory=list)
    _family_cache: dict = field(default_factory=dict, repr=False)
    _specs: dict = field(default_factory=dict, repr=False)  # (variant, seed) → RunSpec: make_spec once per run
    # (variant, seed) → the exception its training raised on the executor: that cell fails its test, not retrained
    remote_errors: dict[tuple[str, int], str] = field(default_factory=dict)
    _design_recorded: bool = field(default=False, repr=False)

    @cached_property
    def profile(self) -> Profile:
        return resolve_profile(self.options.profile)

    @property
    def seeds(self) -> list[int]:
        """Seeds 0..n-1 of the design's first stage (fixed: every seed): from the options only, never the worker."""
        return list(range(self.design.seeds))

    @cached_property
    def store(self):
        from .store.database import Store

        return Store(store_root(self.options))

    @cached_property
    def dataset(self):
        from .data.load import load_dataset

        return load_dataset(self.options.dataset, data_path=self.options.data_path, cache_dir=self.options.cache)

    def spec(self, variant_name: str, seed: int) -> RunSpec:
        """The run's identity, built once per (variant, seed) from the options (threads, precision)."""
        if (variant_name, seed) not in self._specs:
            from .training.train import make_spec

            self._specs[variant_name, seed] = make_spec(get_variant(variant_name), seed, self.dataset, self.profile,
                                                        threads=self.options.threads,
                                                        precision=self.options.precision)
        return self._specs[variant_name, seed]

    def trained_spec(self, variant_name: str, seed: int) -> RunSpec:
        """The run whose training gives this (variant, seed)'s record: its own, or a shared one (recipe.derived)."""
        from .recipe.derived import shared_run

        trained = self.spec(shared_run(variant_name).trained, seed)
        return trained if trained.backend == "tensorflow" else self.spec(variant_name, seed)

    def _train_fn(self, variant_name: str, seed: int, on_epoch=None):
        from .recipe.derived import shared_run

        spec, run = self.spec(variant_name, seed), shared_run(variant_name)
        trained, shared = self.spec(run.trained, seed), run.trained != variant_name
        records = tuple(self.spec(v, seed) for v in run.records if v != run.trained)
        if trained.backend != "tensorflow":  # no shared training there (train_spec): each record trains alone
            trained, shared, records = spec, False, ()

        def train_now() -> RunResult:
            from .training.checkpoint import discard
            from .training.train import train_spec

            if (variant_name, seed) in self.remote_errors:
                raise RunFailed(f"{variant_name} seed {seed} raised on the {self.options.executor} executor: "
                                f"{self.remote_errors[variant_name, seed]}")
            report = self._progress_reporter(trained)
            both = report if on_epoch is None else lambda e, logs: (report(e, logs), on_epoch(e, logs))
            got = {}
            result = train_spec(trained, self.dataset, on_epoch=both, checkpoint_dir=self.checkpoint_dir,
                                records=records, on_record=lambda r: got.setdefault(r.identity, self._put(r)))[0]
            got[result.identity] = self._put(result) if shared else result  # the asked one: get_or_train stores it
            if shared:  # every record of the shared run stored: its checkpoint has served
                discard(self.checkpoint_dir, result.identity)
            if spec.identity() not in got:  # not given by the shared run (another backend, resumed past it)
                return train_spec(spec, self.dataset, on_epoch=both, checkpoint_dir=self.checkpoint_dir)[0]
            return got[spec.identity()]

        return train_now

    def _put(self, result: RunResult) -> RunResult:
        """Store one record of a shared training now, its attempts counted (store.database.counted)."""
        from .store.database import counted

        result = counted(result, self.store.get(result.identity))
        self.store.put(result)
        return result

    def _progress_reporter(self, spec: RunSpec):
        """Live progress into the run's in-flight row, which the controller polls (training/progress.py)."""
        from .training.progress import REPORT_EVERY_S, Reporter, every_s

        identity = spec.identity()
        return Reporter(spec.variant.epochs, lambda p: self.store.report_progress(identity, p),
                        every_s=every_s(REPORT_EVERY_S))

    @property
    def checkpoint_dir(self) -> str:
        """Epoch checkpoints of runs in flight, beside the store (training/checkpoint.py)."""
        return f"{store_root(self.options)}/checkpoints"

    def run(self, variant_name: str, seed: int, on_epoch=None) -> tuple[RunResult, bool]:
        """(result, reused): from the store, or trained now under the store's per-run lock, checkpointing and
        resuming from its checkpoint. ``on_epoch(epoch, logs)`` is called after each epoch trained here."""
        got = self.store.get_or_train(self.spec(variant_name, seed), self._train_fn(variant_name, seed, on_epoch),
                                      trained=self.trained_spec(variant_name, seed))
        return self._recorded(got)

    def _recorded(self, got: tuple[RunResult, bool]) -> tuple[RunResult, bool]:
        """Once a run is in the store its checkpoint has served: delete it."""
        from .training.checkpoint import discard

        discard(self.checkpoint_dir, got[0].identity)
        return got

    def runs_for(self, variants, seeds=None) -> dict[tuple[str, int], tuple[RunResult, bool]]:
        """Every (variant, seed) cell; trains free cells first, then waits for cells other workers hold."""
        return self.runs_of([(v, s) for v in variants for s in (self.seeds if seeds is None else seeds)])

    def runs_of(self, cells: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[RunResult, bool]]:
        """These (variant, seed) cells; trains free cells first, then waits for cells other workers hold."""
        done: dict[tuple[str, int], tuple[RunResult, bool]] = {}
        for v, s in cells:
            got = self.store.try_get_or_train(self.spec(v, s), self._train_fn(v, s), trained=self.trained_spec(v, s))
            if got is not None:
                done[(v, s)] = self._recorded(got)
        for v, s in cells:
            if (v, s) not in done:
                done[(v, s)] = self.run(v, s)
        return {cell: done[cell] for cell in cells}

    def collect(self, claims) -> None:
        """The claims this session collected (after -k/-m): those the profile judges join every judgement's wait."""
        from .claims.family import members

        self.collected_claims = members(list(claims), self.profile)

    @cached_property
    def design(self):
        """The session's design (claims.design.Design), fixed before any run: adaptive up to --tp2-max-seeds when
        given; fixed --tp2-seeds N when given; else budgeted at --tp2-budget or the profile's budget; else the
        profile's fixed seeds."""
        from .claims.design import chosen

        o = self.options
        return chosen(self.profile, seeds=o.seeds, max_seeds=o.max_seeds, budget=o.budget)

    def settle(self, names: set[str], cells: list[tuple[str, int]], train, claim=None) -> None:
        """The one stage loop, for every executor: ``train(cells)``, then — adaptive seeds — each further look's
        cells of the named claims' undecided comparisons (judged on the stored runs the design reads), until
        every one of them stopped. A cell already attempted is never asked for again (a failed run is not
        retrained to fill a look)."""
        attempted = list(cells)
        train(cells)
        while (self.design.adaptive or self.design.budget is not None) and (
                more := self._next_stage(names, attempted, claim)):
            attempted += more
            train(more)

    def train_on_executor(self, cells, claims, *, on_result=None):
        """When the chosen executor trains from the controller (``controller_trains``): every (variant, seed) of
        ``cells`` and of the ``claims`` this profile judges that the store has not settled, longest first, and
        each further stage's cells (``settle``), one plan round per stage; its errors are kept so those cells
        fail their tests. None when the test processes train their own cells."""
        from .executor import get_executor
        from .executor.plan import needed_cells, plan

        executor = get_executor(self.options.executor)
        if not executor.controller_trains:
            return None
        reports = []
        try:  # one executor for every stage (Ray: one connection, the dataset uploaded once); its reports summed
            self.settle({c.name for c in claims}, needed_cells(cells, claims, self.profile, self.seeds),
                        lambda wanted: reports.append(executor.train(self, plan(self, wanted), on_result=on_result)))
        finally:
            executor.close()
        report = reports[0]
        for stage in reports[1:]:
            report.add(stage)
        self.remote_errors.update(report.errors)
        return report

    def judge(self, claim) -> tuple[object, list[tuple[RunResult, bool]]]:
        """(Judgement, the (result, reused) runs it read). The verdict is the design's (claims.design): Holm over
        the fixed family, or each comparison's sequential replay. This claim's runs and those of every collected
        claim are trained or reused (``settle``); the family is judged on the stored runs the design reads
        (absent runs: p = 1), so a ``-k`` run, a full run and ``tp2 report`` on the same store agree."""
        collected = {c.name for c in self.collected_claims} | {claim.name}
        variants = [*claim.variants, *sorted({v for c in self.collected_claims for v in c.variants}
                                             - set(claim.variants))]
        seen: dict = {}
        self.settle(collected, [(v, s) for v in variants for s in self.seeds],
                    lambda cells: seen.update(self.runs_of(cells)), claim)
        self._record_design()
        stored = self._stored()
        judgement = next(j for j in self._family(claim, stored) if j.claim == claim.name)
        return judgement, [seen.get(cell, got) for cell, got in stored.items() if cell[0] in claim.variants]

    def _next_stage(self, names: set[str], attempted: list, claim=None) -> list[tuple[str, int]]:
        """Adaptive seeds: the cells the next look of the named claims' undecided comparisons needs; budgeted: the
        cells the whole family's allocation asks for next (a claim's verdict depends on where the budget went) —
        without those already attempted."""
        from .claims.family import budget_cells, next_stage

        done = set(attempted)
        if self.design.budget is not None:
            from .claims.catalog import CLAIMS

            catalogue = list(CLAIMS) if claim is None or claim in CLAIMS else [*CLAIMS, claim]
            by_variant = self._by_variant(self._stored())
            return [cell for cell in budget_cells(catalogue, by_variant, profile=self.profile.name, design=self.design)
                    if cell not in done]
        judgements = [j for j in self._family(claim, self._stored()) if j.claim in names]
        return [(v, s) for v, n in sorted(next_stage(judgements).items()) for s in range(n) if (v, s) not in done]

    def _stored(self, variants=None) -> dict:
        """Stored runs of ``variants`` (default: every catalogue variant) over the seeds the design reads:
        (variant, seed) → (result, True)."""
        from .claims.catalog import CLAIMS

        variants = {v for c in CLAIMS for v in c.variants} if variants is None else variants
        got = {(v, s): self.store.get(self.spec(v, s).identity()) for v in sorted(variants)
               for s in range(self.design.judged_seeds)}
        return {cell: (r, True) for cell, r in got.items() if r is not None}

    def _family(self, claim, stored: dict) -> list:
        """The family judged by the design on ``stored`` runs (cached by their identities)."""
        from .claims.catalog import CLAIMS
        from .claims.family import judge_family

        catalogue = list(CLAIMS) if claim is None or claim in CLAIMS else [*CLAIMS, claim]  # one's own joins
        by_variant = self._by_variant(stored)
        meta = self.meta()
        key = (meta["dataset"], meta["profile"], tuple(c.name for c in catalogue),
               tuple(sorted(r.identity for runs in by_variant.values() for r in runs)))
        if key not in self._family_cache:
            self._family_cache[key] = judge_family(catalogue, by_variant, dataset=meta["dataset"],
                                                   profile=meta["profile"], design=self.design)
        return self._family_cache[key]

    @staticmethod
    def _by_variant(stored: dict) -> dict[str, list[RunResult]]:
        by_variant: dict[str, list[RunResult]] = {}
        for (variant, _seed), (result, _reused) in stored.items():
            by_variant.setdefault(variant, []).append(result)
        return by_variant

    def _record_design(self) -> None:
        """Record, once per process, what this session judges beside its runs (claims.design.record), so that
        ``tp2 report`` judges the same way with no flags."""
        if self._design_recorded:
            return
        from .claims.catalog import CLAIMS
        from .claims.design import record
        from .claims.family import members

        meta = self.meta()
        self.store.record_design(record(self.design, dataset=meta["dataset"], fingerprint=meta["dataset_fingerprint"],
                                        profile=meta["profile"], precision=meta["precision"],
                                        family=[c.name for c in members(CLAIMS, self.profile)]))
        self._design_recorded = True

    def failure(self, judgement) -> str | None:
        """Why a claim's test fails, or None — the outcome rules, in order: under --tp2-gate, iff the verdict
        differs from the reference's (a missing or corrupt reference file: that); else when refuted on real data
        (simulated data: the proxy's verdict, reported, never failing); else when inconclusive under --tp2-strict.
        Not judged (the learning guard) never fails."""
        from .claims.stats import INCONCLUSIVE, REFUTED
        from .errors import Tp2Error

        try:
            reference = self.reference
        except Tp2Error as exc:
            return str(exc)
        if reference is not None:
            from .output.gate import claim_mismatch

            problem = claim_mismatch(reference, judgement.claim, judgement.verdict)
            return f"gate {self.options.gate}: {problem} {judgement.sentence}" if problem else None
        if judgement.verdict == REFUTED and not self.meta()["simulated"]:
            return judgement.sentence
        if judgement.verdict == INCONCLUSIVE and self.options.strict:
            return f"--tp2-strict: {judgement.sentence}"
        return None

    @cached_property
    def reference(self) -> dict | None:
        """The --tp2-gate reference this session's claim tests are held to; None when not gating."""
        if not self.options.gate or self.options.update_references:
            return None
        from .output.gate import load_reference

        return load_reference(self.options.gate)

    def meta(self) -> dict:
        """Header facts for tables (output.meta.SessionMeta): dataset (labelled simulated when it is), profile,
        seeds, precision."""
        from .output.meta import SessionMeta

        return SessionMeta.of_session(self.dataset, self.profile.name, self.seeds, self.options.precision,
                                      self.design).to_dict()
