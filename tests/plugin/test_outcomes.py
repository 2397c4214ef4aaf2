"""Claim outcomes in pytest: the verdict is the test's outcome category, refuted fails only on real data,
--tp2-strict fails inconclusive, and under --tp2-gate a test passes iff its verdict matches the reference.

A stub session (conftest below) returns canned judgements, so these sessions train nothing and load no data.
"""

from __future__ import annotations

import json
import re

import pytest

CONFTEST = '''
import os
from types import SimpleNamespace

from tp2core import session
from tp2core.claims.judgement import Judgement

pytest_plugins = ["tp2core.plugin"]


def judge(self, claim):
    verdict = claim.name.split("-")[0].replace("notjudged", "not judged")
    sentence = f"{claim.name}: measured X; the notes said Y; try Z."
    return Judgement(claim.name, "s.", "n", "d", "smoke", verdict, (), (), sentence), []


def meta(self):
    return {"simulated": os.environ.get("FAKE_SIMULATED") == "1", "dataset": "d", "profile": "smoke"}


session.Tp2Session.judge = judge
session.Tp2Session.meta = meta
'''

TESTS = '''
from types import SimpleNamespace

import pytest

CLAIMS = [SimpleNamespace(name=n, comparisons=()) for n in
          ("supported-a", "supported-b", "refuted-c", "inconclusive-d", "notjudged-e")]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
'''


@pytest.fixture
def claims(pytester: pytest.Pytester, monkeypatch):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_claims=TESTS)

    def run(*args: str, simulated: bool = True):
        monkeypatch.setenv("FAKE_SIMULATED", "1" if simulated else "0")
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)

    return run


def _summary(result) -> str:
    return result.stdout.lines[-1]


def _counts(result) -> dict[str, int]:
    """The summary line as {category: count} (under xdist the categories come in arrival order)."""
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+(?: judged)?)(?:,| in )", _summary(result))}


def test_simulated_summary_speaks_verdicts_and_refuted_does_not_fail(claims):
    """On simulated data: '2 supported, 1 refuted, 1 inconclusive, 1 not judged', exit 0 (the refuted verdict is
    the proxy's; a claim whose models did not learn is its own outcome, never a failure)."""
    result = claims()
    assert result.ret == 0, result.stdout.str()
    assert _counts(result) == {"supported": 2, "refuted": 1, "inconclusive": 1, "not judged": 1}, _summary(result)


def test_real_data_refuted_fails_with_its_sentence(claims):
    """On real data a refuted claim fails, saying what was measured, what the notes said and what to try."""
    result = claims("-rf", simulated=False)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _counts(result) == {"failed": 1, "supported": 2, "inconclusive": 1, "not judged": 1}, _summary(result)
    result.stdout.fnmatch_lines(["*refuted-c: measured X; the notes said Y; try Z.*"])


def test_verbose_words_and_xdist(claims):
    """-v prints SUPPORTED / REFUTED / INCONCLUSIVE; under xdist the categories survive the transport."""
    result = claims("-v", "-n", "2")
    assert result.ret == 0
    out = result.stdout.str()
    assert "SUPPORTED" in out and "REFUTED" in out and "INCONCLUSIVE" in out and "NOT JUDGED" in out
    assert _counts(result) == {"supported": 2, "refuted": 1, "inconclusive": 1, "not judged": 1}, _summary(result)


def test_strict_fails_inconclusive(claims):
    """--tp2-strict: an inconclusive claim fails too (not judged does not: it is a result about the scale)."""
    result = claims("--tp2-strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _counts(result) == {"failed": 1, "supported": 2, "refuted": 1, "not judged": 1}, _summary(result)
    result.stdout.fnmatch_lines(["*--tp2-strict: inconclusive-d: measured X*"])


def test_gate_passes_iff_verdict_matches_the_reference(claims, pytester):
    """Under --tp2-gate a claim test passes iff its verdict is the reference's (even refuted on real data)."""
    ref = pytester.path / "ref.json"
    verdicts = {"supported-a": "supported", "supported-b": "refuted", "refuted-c": "refuted",
                "inconclusive-d": "inconclusive", "notjudged-e": "not judged"}
    ref.write_text(json.dumps({"format": 1, "claims": verdicts}))
    result = claims("--tp2-gate", str(ref), simulated=False)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _counts(result) == {"failed": 1, "supported": 1, "refuted": 1, "inconclusive": 1, "not judged": 1}, \
        _summary(result)
    result.stdout.fnmatch_lines(["*claim supported-b: verdict flipped from refuted to supported.*"])
