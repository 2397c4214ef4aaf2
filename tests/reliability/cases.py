"""The reliability cases of shared/RELIABILITY.md (A1–F6) plus the archive-security cases (S1–S3), as data.

``CASES`` gives each case a short title. A case is covered by the tests in ``tests/reliability`` whose names
carry its id (``test_b8_…``, ``test_b12_c9_…``); ``ALSO`` points at existing tests elsewhere that check the same
behaviour in more depth; ``BY_DESIGN`` / ``NOT_COVERED`` give the answer for cases without a CPU test.
``tests/reliability/test_reliability_doc.py`` renders this into docs/reliability.md.
"""

from __future__ import annotations

CASES: dict[str, str] = {
    "A1": "Same (variant, seed) run twice gives identical results",
    "A2": "Negative control: another seed gives other results",
    "A3": "Determinism requested but not in effect",
    "A4": "Op without a deterministic kernel",
    "A5": "Unseeded TF random op under determinism",
    "A6": "Bad seed values",
    "A7": "Baseline from another environment",
    "A8": "Worker-count / thread-count change",
    "A9": "Non-deterministic test collection",
    "A10": "CPU vs GPU / XLA path mismatch",
    "B1": "Many workers write to the store at once",
    "B2": "Writer SIGKILLed mid-write",
    "B3": "Corruption in the middle of the store",
    "B4": "Crash while rewriting a whole-file artifact",
    "B5": "Naive read-modify-write file shared by workers",
    "B6": "Read-then-write transaction contention",
    "B7": "Store on NFS / a network filesystem",
    "B8": "Stale lock after SIGKILL",
    "B9": "Duplicate result for the same key",
    "B10": "pytest-benchmark under xdist / on crash",
    "B11": "Missing cells in the accuracy grid",
    "B12": "Controller killed (CI timeout)",
    "B13": "Corrupt latest baseline file",
    "C1": "Kill at an epoch boundary",
    "C2": "Kill mid-epoch with step-level backup",
    "C3": "Resume vs uninterrupted equivalence",
    "C4": "Truncated latest.weights.h5",
    "C5": "Truncated training_metadata.json",
    "C6": "Kill between weights write and metadata write",
    "C7": "Backup dir reused / config changed",
    "C8": "NaN run with backups",
    "C9": "Whole-sweep kill and rerun",
    "C10": "Stale 'running' status",
    "D1": "Archive absent, no network",
    "D2": "Archive present, wrong hash",
    "D3": "Truncated archive",
    "D4": "Truncated/garbage extracted pickle",
    "D5": "Concurrent first load by N workers",
    "D6": "Wrong shape / dtype",
    "D7": "Label type / range",
    "D8": "Class imbalance / wrong counts",
    "D9": "Non-contiguous arrays in fingerprinting",
    "D10": "Unwritable cache dir",
    "D11": "Invalid dataset spec / config",
    "E1": "NaN/Inf loss",
    "E2": "Silent degenerate model (NaN weights at eval)",
    "E3": "GPU OOM in one run",
    "E4": "Several workers on one GPU",
    "E5": "GPU/thread config after framework init",
    "E6": "Fork after CUDA init",
    "F1": "Hard worker crash mid-test",
    "F2": "Repeated crashes",
    "F3": "Crash during collection/import",
    "F4": "Session fixture per worker (data prep once)",
    "F5": "Crashed test not retried",
    "F6": "No tests / all skipped",
    "S1": "Security: crafted pickle in the archive",
    "S2": "Security: tar member with an absolute path, '..' or a link",
    "S3": "Security: huge / decompression-bomb member",
}

# Existing tests outside tests/reliability that check the same behaviour in more depth.
ALSO: dict[str, str] = {
    "A1": "tests/training/test_train.py::TestDeterminism (two fresh processes)",
    "A2": "tests/training/test_train.py::TestDeterminism",
    "A6": "tests/training/test_train.py::TestSeedValidation",
    "A8": "tests/plugin/test_plugin.py::test_xdist_and_serial_give_identical_tables (-n 0 vs -n 2)",
    "B13": "tests/output/test_gate.py::TestLoad",
    "D1": "tests/data/test_data_bad_input.py",
    "D2": "tests/data/test_data_bad_input.py",
    "D5": "tests/data/test_data_load.py::test_concurrent_first_load_prepares_once",
    "E1": "tests/training/test_train.py::TestNonFinite",
    "E4": "tests/training/test_devices.py",
    "E5": "tests/training/test_env.py::TestConfigureThreads",
    "F6": "tests/plugin/test_plugin.py::TestGate::test_fails_when_nothing_runs",
    "S1": "tests/data/test_data_bad_input.py::test_evil_pickle_never_runs",
}

_ATOMIC = ("not applicable: tp2 keeps no epoch checkpoints; a run is an atomic unit, restarted from scratch "
           "after a kill (no partial record, retrained once; see the C1 test)")
BY_DESIGN: dict[str, str] = {
    "C2": _ATOMIC + "; no step-level backups, so no mid-epoch weights to restore",
    "C4": _ATOMIC + "; no weights file to truncate",
    "C5": _ATOMIC + "; no training metadata file",
    "C6": _ATOMIC + "; the only write is one SQLite transaction after training",
    "C7": _ATOMIC + "; runs are keyed by a content hash of variant, data, seed, threads and recipe version",
}

# Cases (or parts of cases) with no test that can fail on this machine, and why.
NOT_COVERED: dict[str, str] = {
    "E3": "partly: the run fails naming variant, seed and batch size, and nothing is stored; tp2 does not recycle "
          "the worker process after an OOM (later runs train in the same process)",
    "E6": "partly: tp2 starts no processes of its own (xdist spawns workers with execnet, which does not fork "
          "after CUDA init); there is no fork guard to reject a user's own fork",
}
