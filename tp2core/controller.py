"""Controller-side half of the plugin: gathers runs and judgements from test reports, prints progress,
tables at the end, writes the report files and applies the gate. Registered only on the controller."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .errors import Tp2Error
from .fixture import JUDGEMENT_KEY, META_KEY, RUN_KEY
from .session import Options, store_root

CELL_ID = re.compile(r"::test_train\[(?P<variant>.+)-seed(?P<seed>\d+)\]$")
CLAIM_ID = re.compile(r"::test_claim\[(?P<claim>[^\]]+)\]$")


def suite_active(config: pytest.Config) -> bool:
    """True when benchmarks/conftest.py (the claim suite) is loaded, i.e. `pytest benchmarks …`."""
    return any(getattr(p, "tp2_suite", False) for p in config.pluginmanager.get_plugins())


class Collector:
    def __init__(self, config: pytest.Config, options: Options) -> None:
        self.config = config
        self.options = options
        self.runs: dict[str, object] = {}  # identity → RunResult
        self.reused: dict[str, bool] = {}
        self.judgements: dict[str, dict] = {}
        self.meta: dict = {}
        self.expected_cells: set[tuple[str, int]] = set()
        self.expected_claims: set[str] = set()
        self.summary: list[str] = []
        self.problems: list[str] = []

    # --- before the run: the dataset is resolved (and prepared) once, here, before any worker starts
    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        if not suite_active(config):
            return None
        from .plugin import SESSION_KEY

        session = config.stash[SESSION_KEY]
        try:
            self.meta = session.meta()
        except Tp2Error as exc:
            raise pytest.UsageError(str(exc)) from None
        lines = [f"tp2 dataset: {self.meta['dataset_label']}", f"tp2 dataset source: {self.meta['dataset_source']}"]
        lines.append(f"tp2 profile: {self.meta['profile']}; seeds per variant: {self.meta['seeds']}; store: "
                     f"{store_root(self.options)}")
        return lines

    # --- what should come back
    def _expect(self, nodeids) -> None:
        for nodeid in nodeids:
            if m := CELL_ID.search(nodeid):
                self.expected_cells.add((m["variant"], int(m["seed"])))
            elif m := CLAIM_ID.search(nodeid):
                self.expected_claims.add(m["claim"])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._expect(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self._expect(ids)

    # --- as reports arrive (from this process or from xdist workers)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from .training.runs import RunResult

        for key, value in report.user_properties:
            if key == META_KEY and not self.meta.get("environment"):
                self.meta = {**self.meta, **value}
            elif key == RUN_KEY:
                result = RunResult.from_dict(value["result"])
                if result.identity not in self.runs:
                    self.runs[result.identity] = result
                    self.reused[result.identity] = value["reused"]
                    self._progress(result, value["reused"])
            elif key == JUDGEMENT_KEY:
                self.judgements[value["claim"]] = value

    def _progress(self, result, reused: bool) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None:
            return
        acc = f"{100 * result.val_accuracy:6.2f}%" if result.val_accuracy is not None else f"FAILED ({result.failure})"
        tr.ensure_newline()
        tr.write_line(
            f"tp2 run {result.spec.variant.name:<14} seed {result.spec.seed:<3} val acc {acc}  "
            f"{result.train_seconds:7.1f} s  {'reused' if reused else 'trained'}"
        )

    # --- at the end
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not suite_active(self.config):
            return
        from .output import session_files

        try:
            from .plugin import SESSION_KEY

            loaded = self.config.stash[SESSION_KEY].__dict__.get("dataset")  # only if already loaded
            outcome = session_files.finish(self, dataset=loaded)
        except Tp2Error as exc:
            self.summary = [f"tp2: error: {exc}"]
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        self.summary = outcome.lines
        if outcome.failed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.summary:
            terminalreporter.section("tp2 results")
            for line in self.summary:
                terminalreporter.write_line(line)

    def missing(self) -> list[str]:
        """Cells and claims that were collected but never reported (crashed worker, interrupted session)."""
        seen_cells = {(r.spec.variant.name, r.spec.seed) for r in self.runs.values()}
        out = [f"{v} seed {s}" for v, s in sorted(self.expected_cells - seen_cells)]
        out += [f"claim {c}" for c in sorted(self.expected_claims - set(self.judgements))]
        return out

    def results_json(self) -> str:
        return json.dumps(
            {
                "meta": self.meta,
                "runs": [r.to_dict() | {"reused": self.reused[i]} for i, r in self.runs.items()],
                "judgements": list(self.judgements.values()),
                "missing": self.missing(),
            },
            indent=1,
            sort_keys=True,
        )

    def report_dir(self) -> Path:
        return Path(self.options.report_dir or Path(store_root(self.options)) / "report")
