"""--tp2-executor ray's error paths: one usage error naming the option and the fix, never a traceback."""

from __future__ import annotations

import socket
import importlib.util
import sys

import pytest

from tp2core.errors import ExecutorError
from tp2core.executor import ray_executor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


class TestCheckReady:
    def test_ray_missing_names_the_install_command(self, monkeypatch):
        """`import ray` failing → ExecutorError with `pip install 'tp2[ray]'`."""
        monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
        with pytest.raises(ExecutorError, match=r"--tp2-executor ray needs Ray: pip install 'tp2\[ray\]'"):
            ray_executor.check_ready(None)

    def test_unreachable_address_names_option_and_fix(self, monkeypatch):
        """Nothing listening at the address → ExecutorError naming --tp2-ray-address / RAY_ADDRESS and `ray start`."""
        pytest.importorskip("ray")
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
        with pytest.raises(ExecutorError) as info:
            ray_executor.check_ready(f"127.0.0.1:{_free_port()}")
        msg = str(info.value)
        assert "unreachable" in msg and "--tp2-ray-address or RAY_ADDRESS" in msg and "ray start --head" in msg

    def test_ray_address_env_is_the_default(self, monkeypatch):
        """No option: RAY_ADDRESS is used (and probed); neither: None = start a local Ray."""
        monkeypatch.setenv("RAY_ADDRESS", "10.1.2.3:6379")
        assert ray_executor.resolve_address(None) == "10.1.2.3:6379"
        assert ray_executor.resolve_address("h:1") == "h:1"
        monkeypatch.delenv("RAY_ADDRESS")
        assert ray_executor.resolve_address(None) is None

    def test_malformed_address(self):
        """An address without a host is refused with an example."""
        pytest.importorskip("ray")
        with pytest.raises(ExecutorError, match="is not HOST:PORT"):
            ray_executor.check_ready(":6379")


def test_plugin_usage_errors(pytester: pytest.Pytester, monkeypatch):
    """Through pytest: Ray missing, an unreachable address and `-n 2` with ray are usage errors (exit 4)."""
    (pytester.path / "conftest.py").write_text('pytest_plugins = ["tp2core.plugin"]\n')
    (pytester.path / "test_x.py").write_text("def test_x():\n    pass\n")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)

    if importlib.util.find_spec("ray") is not None:  # without Ray the missing-Ray error comes first (below)
        result = pytester.runpytest("-p", "no:cacheprovider", "--tp2-executor", "ray", "--tp2-ray-address",
                                    f"127.0.0.1:{_free_port()}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert "--tp2-ray-address or RAY_ADDRESS" in result.stderr.str()

    result = pytester.runpytest("-p", "no:cacheprovider", "--tp2-executor", "ray", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "drop -n 2" in result.stderr.str()

    monkeypatch.setitem(sys.modules, "ray", None)
    result = pytester.runpytest("-p", "no:cacheprovider", "--tp2-executor", "ray")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pip install 'tp2[ray]'" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_cli_unreachable_address_names_the_cli_option(capsys, monkeypatch):
    """`tp2 run model0 --executor ray --ray-address DEAD` exits 2 with one line naming --ray-address, no traceback."""
    pytest.importorskip("ray")
    from tp2core.cli import main

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert main(["run", "model0", "--executor", "ray", "--ray-address", f"127.0.0.1:{_free_port()}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tp2: error: Ray cluster at") and "--ray-address or RAY_ADDRESS" in err
    assert "--tp2-" not in err


def test_no_address_starts_a_new_local_ray(monkeypatch):
    """Neither option nor RAY_ADDRESS: ray.init(address='local') — never silently join another running cluster."""
    ray = pytest.importorskip("ray")
    calls = []
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kw: calls.append(kw))
    assert ray_executor.connect(None) == (ray, True)
    assert calls[0]["address"] == "local" and calls[0]["log_to_driver"] is False
