"""tp2's pytest plugin: options, the ``claim`` marker, the ``tp2`` fixture, result transport, tables, gate.

Thin on purpose (Hypothesis's plugin, pytest-benchmark's ``plugin.py``): nothing heavy is imported at import
time; the work lives in ``session``, ``claims``, ``table`` and ``gate``. Per-run results and judgements ride to
the xdist controller on each test report's ``user_properties`` — the same path serves ``-n 0`` and ``-n auto``.
"""

from __future__ import annotations

import os

import pytest

from .session import Options, Tp2Session

SESSION_KEY = pytest.StashKey["Tp2Session"]()
COLLECTOR_KEY = pytest.StashKey["object"]()


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
                    help="seeds per variant (default: smoke 2, quick 3, paper 5)")
    group.addoption("--tp2-store", default=None, metavar="DIR",
                    help="results store directory (also TP2_STORE; default .tp2/)")
    group.addoption("--tp2-report", default=None, metavar="DIR",
                    help="write tables (Markdown, JSON), pytest-benchmark JSON and the report here (default .tp2/report/)")
    group.addoption("--tp2-gate", default=None, metavar="FILE",
                    help="fail the session if verdicts flip, accuracies leave their band or cells are missing vs FILE")
    group.addoption("--tp2-precision", default=None, metavar="NAME",
                    help="float32 (the recipe, default; also TP2_PRECISION) | tf32 | mixed_bfloat16: opt-in "
                         "numerics, part of every run's identity and named in every table")
    group.addoption("--tp2-update-references", action="store_true", default=False,
                    help="rewrite references/<dataset>-<profile>.json (or --tp2-gate FILE) from this session")


def _options(config: pytest.Config) -> Options:
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
        precision=_precision(config.getoption("tp2_precision")),
    )


def _precision(option: str | None) -> str:
    from .training.precision import check_precision, training_precision

    return training_precision() if option is None else check_precision(option, "--tp2-precision")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim: a tp2 claim, judged over seeds (see benchmarks/)")
    try:
        options = _options(config)
    except Exception as exc:  # a Tp2Error from option validation: a usage error, not a traceback
        raise pytest.UsageError(str(exc)) from None
    # Results depend on the thread count on CPU, so every training process uses the same count whatever -n is.
    os.environ.setdefault("TP2_THREADS", "1")
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        from .training.hardware import pin_worker_device

        pin_worker_device(worker["workerid"])
    config.stash[SESSION_KEY] = Tp2Session(options)
    if worker is None:
        from .controller import Collector

        collector = Collector(config, options)
        config.stash[COLLECTOR_KEY] = collector
        config.pluginmanager.register(collector, "tp2-collector")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker per GPU on a GPU machine, else one per CPU core (1 training thread each)."""
    from .training.hardware import auto_workers

    return auto_workers()


@pytest.fixture
def tp2(request: pytest.FixtureRequest):
    """Trains or reuses the runs a claim needs, judges it, and attaches everything to the test report."""
    from .fixture import Tp2Fixture

    return Tp2Fixture(request.config.stash[SESSION_KEY], request.node)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`tp2_cell`: every (variant, seed) a benchmarks module's TP2_VARIANTS needs, seeds from the options."""
    if "tp2_cell" in metafunc.fixturenames:
        session = metafunc.config.stash[SESSION_KEY]
        variants = getattr(metafunc.module, "TP2_VARIANTS", ())
        cells = [(v, s) for v in variants for s in session.seeds]
        metafunc.parametrize("tp2_cell", cells, ids=[f"{v}-seed{s}" for v, s in cells])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Training cells first, longest first (so two workers finish together), then the claims.

    Deterministic (a pure function of the collected items), as xdist requires of every worker's collection.
    """
    from .recipe.costs import estimated_cost

    def key(item: pytest.Item):
        cell = getattr(item, "callspec", None) and item.callspec.params.get("tp2_cell")
        if cell:
            return (0, -estimated_cost(cell[0], config.stash[SESSION_KEY].profile), cell[1])
        return (1, 0, 0)

    items.sort(key=key)  # stable: claims keep their file order
