"""tp2's pytest plugin: every hook, the ``tp2`` fixture, the option names and the report transport keys.

Thin on purpose (Hypothesis's plugin, pytest-benchmark's ``plugin.py``): nothing heavy is imported at import
time; ``session.Tp2Session`` trains and judges, ``controller.Controller`` gathers and ends the session. Per-run
results and judgements ride to the xdist controller on each call report's ``tp2_transport`` attribute under the keys
below (a report's extra attributes travel through xdist's report serialisation) — the same path serves ``-n 0``
and ``-n auto``. ``user_properties`` carry only what a JUnit consumer reads (tp2core.output.junit).
"""

from __future__ import annotations

import os

import pytest

from .errors import Tp2Error
from .executor import executor_names, executor_options
from .output import junit
from .session import Options, Tp2Session, store_root

SESSION_KEY = pytest.StashKey[Tp2Session]()

# transport keys: worker → controller, as [key, value] pairs on the call report's TRANSPORT_ATTR (never on
# user_properties, which pytest's junitxml writes as <property> elements)
TRANSPORT_ATTR = "tp2_transport"
TRANSPORT = pytest.StashKey[list]()  # the item's pairs until its call report is made
RUN_KEY = "tp2_run"
JUDGEMENT_KEY = "tp2_judgement"
META_KEY = "tp2_meta"
NOT_JUDGED_KEY = "tp2_not_judged"

# pytest outcome categories of a claim test, by verdict: (category, short letter, verbose word). The summary line
# counts categories, e.g. "18 passed, 6 supported, 1 refuted, 2 inconclusive, 1 not judged".
OUTCOMES = {
    "supported": ("supported", "S", "SUPPORTED"),
    "refuted": ("refuted", "R", "REFUTED"),
    "inconclusive": ("inconclusive", "I", "INCONCLUSIVE"),
    # a model the claim presumes learned did not (tp2core.claims.regime), or the profile breaks a ratio the claim
    # depends on / cuts it for its budget (recipe.plan): not judged at this scale
    "not judged": ("not judged", "N", "NOT JUDGED"),
}
NOT_JUDGED = OUTCOMES["not judged"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tp2", "tp2 claim suite (pytest benchmarks)")
    group.addoption("--tp2-profile", default="auto", choices=("auto", "smoke", "quick", "paper"),
                    help="fidelity profile; auto = paper when a GPU is visible, else quick (default: auto)")
    group.addoption("--tp2-dataset", default="auto", metavar="SPEC",
                    help="cifar100 | simulated | simulated-v1 | auto | path to cifar-100-python.tar.gz or its folder (default: auto)")
    group.addoption("--tp2-data", default=None, metavar="PATH",
                    help="explicit CIFAR-100 archive location (also TP2_DATA)")
    group.addoption("--tp2-cache", default=None, metavar="DIR",
                    help="where prepared datasets are cached (also TP2_CACHE; default ~/.cache/tp2)")
    group.addoption("--tp2-seeds", default=None, type=int, metavar="N",
                    help="a fixed design: N seeds per variant (default: smoke 2 and paper 5 fixed; quick: its budget)")
    group.addoption("--tp2-budget", default=None, type=float, metavar="CPU_S",
                    help="the budgeted design: looks at 3, 5, 8, 12, 20 seeds per arm, each further look spent where "
                         "it most likely decides per CPU-s of the cost model, within CPU_S in all (default: the "
                         "profile's — quick 2100; smoke and paper: fixed seeds)")
    group.addoption("--tp2-max-seeds", default=None, type=int, metavar="N",
                    help="adaptive seeds: after the profile's seeds, each still-undecided comparison gets 2 more "
                         "seeds per variant per stage until decided, futile or N (error over every look "
                         "controlled: docs/statistics.md); default off (fixed seeds)")
    group.addoption("--tp2-store", default=None, metavar="DIR",
                    help="results store directory (also TP2_STORE; default .tp2/)")
    group.addoption("--tp2-report", default=None, metavar="DIR",
                    help="write tables (Markdown, JSON), pytest-benchmark JSON and the report here (default .tp2/report/)")
    group.addoption("--tp2-gate", default=None, metavar="FILE",
                    help="fail the session if verdicts flip, accuracies leave their band or cells are missing vs FILE")
    group.addoption("--tp2-precision", default=None, metavar="NAME",
                    help="float32 (the recipe, default; also TP2_PRECISION) | tf32 | mixed_bfloat16: opt-in "
                         "numerics, part of every run's identity and named in every table")
    group.addoption("--tp2-executor", default="local", choices=executor_names(),
                    help="local: pytest processes train (with or without -n; default) | ray: the controller trains "
                         "every missing run as Ray tasks before the tests (needs `pip install 'tp2[ray]'`)")
    for _name, option in executor_options():  # each executor's own options, as it declares them
        group.addoption(f"--tp2-{option.name}", default=None, metavar=option.metavar, help=option.help)
    group.addoption("--tp2-tensorboard", default=None, metavar="DIR",
                    help="write every run's per-epoch loss/accuracy and its variant's factors (HParams) as "
                         "TensorBoard event files under DIR, reused runs too: `tensorboard --logdir DIR` "
                         "(needs `pip install 'tp2[tensorboard]'`)")
    group.addoption("--tp2-update-references", action="store_true", default=False,
                    help="rewrite references/<dataset>-<profile>.json (or --tp2-gate FILE) from this session")
    group.addoption("--tp2-strict", action="store_true", default=False,
                    help="an inconclusive claim fails its test (default: reported as 'inconclusive', not failing)")
    group.addoption("--tp2-wide", action="store_true", default=False,
                    help="terminal tables with every column (also -v); default: the essential columns, fitted to "
                         "the terminal's width")


def _options(config: pytest.Config) -> Options:
    from .training.backend import training_threads
    from .training.precision import check_precision, training_precision

    precision = config.getoption("tp2_precision")
    return Options(
        profile=config.getoption("tp2_profile"),
        dataset=config.getoption("tp2_dataset"),
        data_path=config.getoption("tp2_data") or os.environ.get("TP2_DATA"),
        cache=config.getoption("tp2_cache"),
        seeds=config.getoption("tp2_seeds"),
        store=config.getoption("tp2_store"),
        report_dir=config.getoption("tp2_report"),
        gate=config.getoption("tp2_gate"),
        update_references=config.getoption("tp2_update_references"),
        strict=config.getoption("tp2_strict"),
        precision=training_precision() if precision is None else check_precision(precision, "--tp2-precision"),
        executor=config.getoption("tp2_executor"),
        executor_options={option.key: config.getoption(f"tp2_{option.key}") for _, option in executor_options()},
        threads=training_threads(),
        tensorboard=config.getoption("tp2_tensorboard"),
        max_seeds=config.getoption("tp2_max_seeds"),
        budget=config.getoption("tp2_budget"),  # TP2_THREADS, read here once: every training process uses the same count
    )


def suite_active(config: pytest.Config) -> bool:
    """True when benchmarks/conftest.py (the claim suite) is loaded, i.e. `pytest benchmarks …`."""
    return any(getattr(p, "tp2_suite", False) for p in config.pluginmanager.get_plugins())


# --- configuration ---------------------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim: a tp2 claim, judged over seeds (see benchmarks/)")
    try:
        options = _options(config)
    except Tp2Error as exc:  # option validation: a usage error, not a traceback
        raise pytest.UsageError(str(exc)) from None
    worker = getattr(config, "workerinput", None)
    if worker is None:
        _preflight(config, options)
    if worker is not None:
        from .training.hardware import pin_worker_device

        pin_worker_device(worker["workerid"])
    config.stash[SESSION_KEY] = Tp2Session(options)
    if worker is None:
        _check_executor(config, options)
        from .controller import Controller

        config.pluginmanager.register(ControllerHooks(config, Controller(options)), "tp2-controller")


def _preflight(config: pytest.Config, options: Options) -> None:
    """Every option checked once, on the controller, before collection: one usage error (exit 4), no traceback.
    benchmarks/conftest.py is an initial conftest of `pytest benchmarks`, so suite_active already knows."""
    from .preflight import check

    try:
        check(options, suite=suite_active(config))
    except Tp2Error as exc:
        raise pytest.UsageError(str(exc)) from None


def _check_executor(config: pytest.Config, options: Options) -> None:
    """The chosen executor can run with these options and this many xdist workers: before any collection."""
    from .executor import get_executor

    try:
        get_executor(options.executor).check(options, workers=getattr(config.option, "numprocesses", None))
    except Tp2Error as exc:
        raise pytest.UsageError(str(exc)) from None


def train_on_executor(hooks: "ControllerHooks", items: list[pytest.Item]) -> None:
    """An executor whose controller trains (e.g. Ray): train every (variant, seed) the collected cells and claims
    need that the store lacks, a progress line per run, so the tests then judge from the store."""
    session = hooks.config.stash[SESSION_KEY]
    if not suite_active(hooks.config) or hooks.config.option.collectonly:
        return
    params = [item.callspec.params for item in items if hasattr(item, "callspec")]
    claims = [p["claim"] for p in params if hasattr(p.get("claim"), "variants")]
    cells = [p["tp2_cell"] for p in params if "tp2_cell" in p]
    try:
        report = session.train_on_executor(cells, claims, on_result=hooks.show_trained)
    except Tp2Error as exc:
        raise pytest.UsageError(str(exc)) from None
    if report is not None and (report.results or report.errors):
        tr = hooks.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(report.summary())


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker per GPU on a GPU machine, else one per CPU core (1 training thread each)."""
    from .training.hardware import auto_workers

    return auto_workers()


# --- collection ------------------------------------------------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`tp2_cell`: every (variant, seed) a benchmarks module's TP2_VARIANTS needs, seeds from the options — except
    variants that only claims not judged at this profile compare (recipe.plan.untrained_variants)."""
    if "tp2_cell" in metafunc.fixturenames:
        from .claims.catalog import CLAIMS
        from .recipe.plan import untrained_variants

        session = metafunc.config.stash[SESSION_KEY]
        skipped = untrained_variants(CLAIMS, session.profile)
        variants = [v for v in getattr(metafunc.module, "TP2_VARIANTS", ()) if v not in skipped]
        cells = [(v, s) for v in variants for s in session.seeds]
        metafunc.parametrize("tp2_cell", cells, ids=[f"{v}-seed{s}" for v, s in cells])


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: which claims this session collected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Training cells first, longest first (so two workers finish together), then the claims; the session learns
    the collected claims, whose runs every claim test trains or waits for before judging the fixed family
    (tp2core.claims.family: every comparison the profile judges, whatever -k selected).

    Deterministic (a pure function of the collected items), as xdist requires of every worker's collection.
    """
    from .recipe.costs import estimated_cost

    def key(item: pytest.Item):
        cell = getattr(item, "callspec", None) and item.callspec.params.get("tp2_cell")
        if cell:
            return (0, -estimated_cost(cell[0], config.stash[SESSION_KEY].profile), cell[1])
        return (1, 0, 0)

    items.sort(key=key)  # stable: claims keep their file order
    session = config.stash[SESSION_KEY]
    claims = {item.callspec.params["claim"].name: item.callspec.params["claim"] for item in items
              if getattr(item, "callspec", None) and hasattr(item.callspec.params.get("claim"), "comparisons")}
    session.collect(claims.values())


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A claim test reports its verdict as its outcome category (supported / refuted / inconclusive, or not judged
    at this scale); a failing one stays 'failed' (its sentence is in the failure section) with the verdict in the
    verbose word."""
    if report.when != "call":
        return None
    pairs = transport(report)
    if report.skipped and any(k == NOT_JUDGED_KEY for k, _ in pairs):
        return NOT_JUDGED
    verdict = next((v["verdict"] for k, v in pairs if k == JUDGEMENT_KEY), None)
    if verdict not in OUTCOMES:
        return None
    if report.failed:
        return "failed", "F", f"FAILED ({OUTCOMES[verdict][2]})"
    return OUTCOMES[verdict]  # passed, or skipped (inconclusive / not judged: JUnit's skipped, tp2core.output.junit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The call report carries the item's transport pairs (to the controller, through xdist)."""
    report = yield
    if call.when == "call":
        setattr(report, TRANSPORT_ATTR, [[k, v] for k, v in item.stash.get(TRANSPORT, [])])
    return report


def transport(report) -> list:
    """A report's transport pairs ([] for setup/teardown and non-tp2 tests)."""
    return getattr(report, TRANSPORT_ATTR, None) or []


# --- the fixture -----------------------------------------------------------------------------------------------
@pytest.fixture
def tp2(request: pytest.FixtureRequest) -> "Tp2Fixture":
    """Trains or reuses the runs a claim needs, judges it, and attaches everything to the test report."""
    return Tp2Fixture(request.config.stash[SESSION_KEY], request.node)


class Tp2Fixture:
    def __init__(self, session: Tp2Session, node: pytest.Item) -> None:
        self.session = session
        self.node = node

    def _record(self, key: str, value) -> None:
        """A transport pair for the controller (never written to JUnit XML)."""
        self.node.stash.setdefault(TRANSPORT, []).append((key, value))

    def _show(self, properties: list[tuple[str, str]]) -> None:
        """Named properties a JUnit consumer reads (pytest's junitxml writes user_properties)."""
        self.node.user_properties.extend(properties)

    def ensure_trained(self, cell: tuple[str, int]) -> None:
        """Train (or reuse) one (variant, seed). A failed run fails this test with the failure text."""
        variant, seed = cell
        self._record(META_KEY, self.session.meta())
        result, reused = self.session.run(variant, seed)
        self._record(RUN_KEY, {"result": result.to_dict(), "reused": reused})
        self._show(junit.run_properties(result, reused))
        if not result.ok:
            pytest.fail(f"{variant} seed {seed} failed: {result.failure}", pytrace=False)

    def assert_holds(self, claim) -> None:
        """Judge `claim` over the session's seeds. Its verdict is the test's outcome category; the test fails
        when ``Tp2Session.failure`` says so (the outcome rules: refuted on real data, strict, the gate), and is
        skipped — for JUnit consumers — when inconclusive or not judged (its summary category says which)."""
        from .claims.stats import INCONCLUSIVE, NOT_JUDGED as NOT_JUDGED_VERDICT
        from .recipe.plan import judged_at

        judged, reason = judged_at(claim, self.session.profile)
        if not judged:
            self._record(NOT_JUDGED_KEY, {"claim": claim.name, "reason": reason})
            self._show(junit.not_judged_properties(reason, self.session.meta()["dataset"], self.session.profile.name))
            pytest.skip(f"{claim.name}: {reason}")
        self._record(META_KEY, self.session.meta())
        judgement, runs = self.session.judge(claim)
        for result, reused in runs:
            self._record(RUN_KEY, {"result": result.to_dict(), "reused": reused})
        self._record(JUDGEMENT_KEY, judgement.to_dict())
        self._show(junit.claim_properties(judgement))
        if problem := self.session.failure(judgement):
            pytest.fail(problem, pytrace=False)
        if judgement.verdict in (INCONCLUSIVE, NOT_JUDGED_VERDICT):
            pytest.skip(f"{judgement.verdict}: {judgement.sentence}")


def _table_layout(config: pytest.Config) -> dict:
    """Terminal tables: the terminal's width (120 when not a terminal); every column with -v or --tp2-wide."""
    import shutil

    wide = config.getoption("tp2_wide") or config.get_verbosity() > 0
    return {"width": shutil.get_terminal_size((120, 24)).columns, "wide": wide}


# --- hooks of the controlling process only ---------------------------------------------------------------------
class ControllerHooks:
    """Registered by ``pytest_configure`` on the controller (never on an xdist worker): what it collects, the
    reports as they arrive, the session's end. Hands plain values to ``controller.Controller``."""

    def __init__(self, config: pytest.Config, controller) -> None:
        self.config = config
        self.controller = controller
        self.summary: list[str] = []
        self.poller = None  # training.progress.Poller while the session runs

    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        """The dataset is resolved (and prepared) once, here, before any worker starts."""
        if not suite_active(config):
            return None
        try:
            self.controller.add_meta(config.stash[SESSION_KEY].meta())
        except Tp2Error as exc:
            raise pytest.UsageError(str(exc)) from None
        from .output.terminal import pytest_header

        return pytest_header(self.controller.meta, store_root(self.controller.options),
                             verbose=config.get_verbosity() > 0, width=_table_layout(config)["width"])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.controller.expect(item.nodeid for item in session.items)
        self._start_live_progress()
        train_on_executor(self, session.items)

    def _start_live_progress(self) -> None:
        """Runs in training (any worker) shown from the store's in-flight rows; not under -q."""
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None or self.config.get_verbosity() < 0 or not suite_active(self.config) or self.poller:
            return
        import contextlib
        import threading

        from .training.progress import Poller

        capman = self.config.pluginmanager.getplugin("capturemanager")
        lock = threading.Lock()

        def write(text: str) -> None:  # from the poller's thread; under -n 0 a test is capturing fd 1 meanwhile
            with lock, capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
                tr.ensure_newline()
                tr.write_line(text)

        from .store.database import Store

        root = store_root(self.controller.options)
        self.poller = Poller(lambda: Store(root), write).start()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.controller.expect(ids)
        self._start_live_progress()  # under xdist the controller collects nothing: no pytest_collection_finish

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from .training.runs import RunResult

        for key, value in transport(report):
            if key == META_KEY:
                self.controller.add_meta(value)
            elif key == RUN_KEY:
                result = RunResult.from_dict(value["result"])
                if self.controller.add_run(result, value["reused"]):
                    self.show_run(result, value["reused"])
            elif key == JUDGEMENT_KEY:
                self.controller.add_judgement(value)
            elif key == NOT_JUDGED_KEY:
                self.controller.add_not_judged(value)

    def show_trained(self, result) -> None:
        """A run an executor trained and stored: counted once, and its progress line."""
        if self.controller.add_run(result, False):
            self.show_run(result, False)

    def show_run(self, result, reused: bool) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None:
            return
        acc = f"{100 * result.val_accuracy:6.2f}%" if result.val_accuracy is not None else f"FAILED ({result.failure})"
        tr.ensure_newline()
        tr.write_line(f"tp2 run {result.spec.variant.name:<14} seed {result.spec.seed:<3} val acc {acc}  "
                      f"{result.train_seconds:7.1f} s  {'reused' if reused else 'trained'}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.poller is not None:
            self.poller.stop()
        if not suite_active(self.config):
            return
        loaded = self.config.stash[SESSION_KEY].__dict__.get("dataset")  # only if already loaded
        outcome = self.controller.finish(dataset=loaded, **_table_layout(self.config))
        self.summary = outcome.lines
        if outcome.failed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.summary:
            terminalreporter.section("tp2 results")
            for line in self.summary:
                terminalreporter.write_line(line)
