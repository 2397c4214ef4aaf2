"""With TP2_RELIABILITY_DOC=1, record each reliability test's outcome and rewrite docs/reliability.md at the end.

Tests not run in this session (e.g. ``-k b5``) keep the result the file already records for them.
"""

from __future__ import annotations

import os
import re

import pytest

from reliability_doc import DOC, DOC_ENV, parse_results, render, summarise

_outcomes: dict[str, dict[str, tuple[str, str]]] = {}  # test function → nodeid → (outcome, skip reason)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not os.environ.get(DOC_ENV) or "tests/reliability/" not in report.nodeid.replace("\\", "/"):
        return
    name = re.sub(r"\[.*\]$", "", report.nodeid.split("::")[-1])
    seen = _outcomes.setdefault(name, {})
    if report.failed:
        seen[report.nodeid] = ("failed", "")
    elif report.skipped and report.nodeid not in seen:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        seen[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.when == "call" and report.passed and report.nodeid not in seen:
        seen[report.nodeid] = ("passed", "")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get(DOC_ENV) and not hasattr(session.config, "workerinput") and _outcomes:
        previous = parse_results(DOC.read_text()) if DOC.exists() else {}
        results = summarise({name: list(items.values()) for name, items in _outcomes.items()})
        DOC.write_text(render({**previous, **results}))
