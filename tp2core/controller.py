"""What the controlling pytest process gathers from test reports, and the plain steps that end a session.

No pytest import and nothing from ``plugin.py``: the plugin decodes each report's transport keys and hands the
values here (``add_run``, ``add_judgement``, ``add_meta``); ``finish`` runs the session-end steps of
``output.session_files`` in order. The same object serves ``-n 0`` and ``-n auto``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .claims.judgement import Judgement
from .claims.regime import regime
from .errors import Tp2Error
from .output import session_files as steps
from .output.meta import with_environment
from .session import Options, store_root
from .training.runs import RunResult

CELL_ID = re.compile(r"::test_train\[(?P<variant>.+)-seed(?P<seed>\d+)\]$")
CLAIM_ID = re.compile(r"::test_claim\[(?P<claim>[^\]]+)\]$")


@dataclass
class Outcome:
    """What the session's end printed and whether it must fail the session."""

    lines: list[str] = field(default_factory=list)
    failed: bool = False


@dataclass
class Controller:
    options: Options
    runs: dict[str, RunResult] = field(default_factory=dict)  # identity → result
    reused: dict[str, bool] = field(default_factory=dict)
    judgements: dict[str, Judgement] = field(default_factory=dict)  # claim → its (unadjusted) judgement
    not_judged: dict[str, str] = field(default_factory=dict)  # claim → why the profile does not judge it
    meta: dict = field(default_factory=dict)
    expected_cells: set[tuple[str, int]] = field(default_factory=set)
    expected_claims: set[str] = field(default_factory=set)

    def expect(self, nodeids) -> None:
        """Remember what was collected, so a crashed worker's cells are reported missing, not silently absent."""
        for nodeid in nodeids:
            if m := CELL_ID.search(nodeid):
                self.expected_cells.add((m["variant"], int(m["seed"])))
            elif m := CLAIM_ID.search(nodeid):
                self.expected_claims.add(m["claim"])

    def add_meta(self, meta: dict) -> None:
        if not self.meta.get("environment"):
            self.meta = {**self.meta, **meta}

    def add_run(self, result: RunResult, reused: bool) -> bool:
        """True when this run is new to the session (the first report naming it)."""
        if result.identity in self.runs:
            return False
        self.runs[result.identity] = result
        self.reused[result.identity] = reused
        return True

    def add_judgement(self, judgement: dict) -> None:
        """A judgement as transported (JSON dict); kept typed."""
        j = Judgement.from_dict(judgement)
        self.judgements[j.claim] = j

    def add_not_judged(self, record: dict) -> None:
        """A claim the profile does not judge (recipe.plan.judged_at): reported, with its reason — not missing."""
        self.not_judged[record["claim"]] = record["reason"]

    def adjusted_judgements(self) -> list[Judgement]:
        """Every judgement, by claim. Each arrives Holm-adjusted over the fixed family (tp2core.claims.family), so
        the tables say what the pytest outcome said: nothing is re-adjusted here."""
        return [self.judgements[c] for c in sorted(self.judgements)]

    def missing(self) -> list[str]:
        """Cells and claims that were collected but never reported (crashed worker, interrupted session)."""
        seen_cells = {(r.spec.variant.name, r.spec.seed) for r in self.runs.values()}
        out = [f"{v} seed {s}" for v, s in sorted(self.expected_cells - seen_cells)]
        out += [f"claim {c}" for c in sorted(self.expected_claims - set(self.judgements) - set(self.not_judged))]
        return out

    def results_json(self, judgements: list[Judgement]) -> str:
        from .output.verdict_costs import spent

        return json.dumps(
            {
                "meta": self.meta,
                "runs": [r.to_dict() | {"reused": self.reused[i]} for i, r in self.runs.items()],
                "judgements": [j.to_dict() for j in judgements],
                "attribution": steps.attribution(judgements),
                "regime": [ln.to_dict() for ln in regime(list(self.runs.values()))],
                "missing": self.missing(),
                "not_judged": [{"claim": c, "reason": r} for c, r in sorted(self.not_judged.items())],
                "budget": spent(judgements),  # budgeted design: what the verdicts cost (None under another)
            },
            indent=1,
            sort_keys=True,
        )

    def report_dir(self) -> Path:
        return Path(self.options.report_dir or Path(store_root(self.options)) / "report")

    def finish(self, dataset=None, width: int = 120, wide: bool = False) -> Outcome:
        """Tables (``width`` columns; every column when ``wide``), session files,
        gate, references, figures — plain steps, in order."""
        out = Outcome()
        runs, judgements, missing = list(self.runs.values()), self.adjusted_judgements(), self.missing()
        meta = with_environment(self.meta, runs)
        out.lines += steps.terminal_tables(meta, runs, judgements, width, wide)
        if missing:
            out.failed = True
            out.lines.append(f"tp2: MISSING (collected but never reported — crashed worker or interrupted run): "
                             f"{', '.join(missing)}")
        for step in self._steps(meta, runs, judgements, missing, dataset):
            try:
                lines, failed = step()
            except Tp2Error as exc:
                lines, failed = [f"tp2: error: {exc}"], True
            out.lines += lines
            out.failed |= failed
        return out

    def _steps(self, meta, runs, judgements, missing, dataset):
        options, report_dir = self.options, self.report_dir()
        yield lambda: steps.write_session_files(report_dir, meta, runs, judgements, missing, self.results_json(judgements),
                                                self.reused)
        if options.gate and not options.update_references:  # updating writes the file instead of gating on it
            yield lambda: steps.apply_gate(options.gate, meta, runs, judgements)
        if options.update_references:
            yield lambda: steps.write_reference(options.gate, meta, runs, judgements, missing)
        if options.tensorboard:
            yield lambda: steps.write_tensorboard(options.tensorboard, runs)
        if options.report_dir:  # figures cost seconds: only when a report directory was asked for
            yield lambda: steps.write_figures(report_dir, meta, runs, judgements, dataset)
