"""An executor declares its own options; the plugin (``--tp2-<name>``) and ``tp2 run`` (``--<name>``) list them
from the registry and Options carries them by key, so neither names an executor (issue 28, item 10)."""

from __future__ import annotations

import pytest

from tp2core import executor as registry
from tp2core.cli.main import build_parser
from tp2core.cli.runs import cli_wording
from tp2core.errors import ConfigError
from tp2core.executor.base import Executor, ExecutorOption
from tp2core.session import Options


class KnobExecutor(Executor):
    """A stand-in executor with one option of its own."""

    name = "knob"
    controller_trains = False
    options = (ExecutorOption("knob-level", "how far to turn the knob (--tp2-knob-level)", metavar="N"),)


@pytest.fixture
def knob_registered(monkeypatch):
    monkeypatch.setitem(registry.EXECUTORS, "knob", f"{__name__}:KnobExecutor")


def test_ray_declares_its_address():
    """The registry lists Ray's address as the ray executor's option, key ray_address."""
    assert [(name, o.name, o.key) for name, o in registry.executor_options()] == [("ray", "ray-address",
                                                                                   "ray_address")]


def test_a_new_executors_option_reaches_the_cli_and_options(knob_registered):
    """A registered executor's option becomes `tp2 run --knob-level` and Options.executor_options['knob_level']
    with no change to the CLI; --ray-address keeps working beside it."""
    args = build_parser().parse_args(["run", "model0", "--knob-level", "3", "--ray-address", "h:1"])
    assert (args.knob_level, args.ray_address) == ("3", "h:1")
    assert Options(executor_options={"knob_level": "3"}).executor_options == {"knob_level": "3"}
    assert cli_wording("set --tp2-knob-level or --tp2-ray-address; --tp2-executor knob") == \
        "set --knob-level or --ray-address; --executor knob"


def test_a_new_executors_option_reaches_the_plugin(knob_registered, pytester: pytest.Pytester):
    """`pytest --help` (in this process, so the stand-in is registered) offers --tp2-knob-level and
    --tp2-ray-address, each with the help its executor declares."""
    result = pytester.runpytest_inprocess("-p", "tp2core.plugin", "--help")
    out = result.stdout.str()
    assert "--tp2-knob-level=N" in out and "how far to turn the knob" in out
    assert "--tp2-ray-address=ADDR" in out


def test_an_undeclared_executor_option_is_refused():
    """Options(executor_options=…) with a key no executor declares: ConfigError naming the known keys."""
    with pytest.raises(ConfigError, match=r"'executor_options' must map executor option keys \(ray_address\)"):
        Options(executor_options={"ray_adress": "h:1"})
