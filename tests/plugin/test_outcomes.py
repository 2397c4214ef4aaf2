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


TRANSPORT_NAMES = {"tp2_meta", "tp2_run", "tp2_judgement", "tp2_not_judged"}


def _properties(case) -> list:
    """A junitparser TestCase's <property> elements (junitparser 5 has no TestCase.properties())."""
    from junitparser import Properties

    return [prop for props in case.iterchildren(Properties) for prop in props]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["n0", "xdist"])
def test_junit_xml_counts_the_categories_apart_with_the_verdict_as_a_property(claims, pytester, workers):
    """Read by junitparser (not tp2's code): supported and refuted on simulated data pass, inconclusive and not
    judged are skipped with the verdict as the message; every claim has its verdict property; the counts per
    verdict equal pytest's summary line; no transport key reaches the XML."""
    from junitparser import JUnitXml, Skipped

    xml_path = pytester.path / "junit.xml"
    result = claims("--junitxml", str(xml_path), *workers)
    assert result.ret == 0, result.stdout.str()
    cases = [case for suite in JUnitXml.fromfile(str(xml_path)) for case in suite]
    verdict = {case.name: next(p.value for p in _properties(case) if p.name == "verdict") for case in cases}
    counts = {v: list(verdict.values()).count(v) for v in set(verdict.values())}
    assert counts == _counts(result), (counts, _summary(result))
    skipped = {case.name: case.result[0].message for case in cases if case.result and isinstance(case.result[0], Skipped)}
    assert set(skipped) == {"test_claim[inconclusive-d]", "test_claim[notjudged-e]"}
    assert skipped["test_claim[inconclusive-d]"].startswith("inconclusive: inconclusive-d: measured X")
    passed = {case.name for case in cases if case.is_passed}
    assert passed == {"test_claim[supported-a]", "test_claim[supported-b]", "test_claim[refuted-c]"}
    assert not {p.name for case in cases for p in _properties(case)} & TRANSPORT_NAMES


def test_junit_xml_real_data_refuted_is_a_failure(claims, pytester):
    """On real data the refuted claim fails the run: a JUnit failure, its sentence as the message."""
    from junitparser import Failure, JUnitXml

    xml_path = pytester.path / "junit.xml"
    claims("--junitxml", str(xml_path), simulated=False)
    failures = [case for suite in JUnitXml.fromfile(str(xml_path)) for case in suite
                if case.result and isinstance(case.result[0], Failure)]
    assert [case.name for case in failures] == ["test_claim[refuted-c]"]
    assert "refuted-c: measured X" in failures[0].result[0].message
