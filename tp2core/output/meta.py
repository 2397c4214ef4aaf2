"""The session's header facts (``SessionMeta``): one definition of their keys, built from a loaded dataset (a
pytest session) or from stored runs (``tp2 report``), carried as a plain dict (``to_dict``) to every output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..provenance import provenance


@dataclass(frozen=True)
class SessionMeta:
    dataset: str  # "cifar100", "simulated", "archive-<fingerprint[:12]>"
    dataset_label: str  # what tables print; says "SIMULATED" for simulated data
    dataset_source: str  # where the arrays came from
    dataset_fingerprint: str
    simulated: bool
    profile: str
    seeds: int  # seeds per variant
    seed_values: list[int]
    precision: str
    environment: dict = field(default_factory=dict)  # a run's environment fingerprint; {} until a run is known
    adaptive_seeds: dict | None = None  # --tp2-max-seeds: {"first", "step", "max_seeds", "looks"}; None = fixed
    design: dict | None = None  # what the verdicts were judged by (claims.design.Design.to_dict)
    design_note: str | None = None  # where the design came from when not the session itself (tp2 report)
    dataset_searched: list[str] = field(default_factory=list)  # Dataset.searched: where `auto` looked for CIFAR-100
    # the process that built these facts: {"commit", "dirty" (git checkout only), "distributions": {name: version}}
    provenance: dict = field(default_factory=provenance)

    @classmethod
    def of_session(cls, dataset, profile: str, seeds: list[int], precision: str, design=None) -> "SessionMeta":
        """A session's facts: its loaded Dataset, profile name, seeds (of the first stage), precision and its
        design (claims.design.Design)."""
        return cls(dataset.name, dataset.label, dataset.source, dataset.fingerprint, dataset.simulated, profile,
                   len(seeds), list(seeds), precision, dataset_searched=list(getattr(dataset, "searched", ())),
                   **design_fields(design))

    def to_dict(self) -> dict:
        data = asdict(self)
        if not data["environment"]:  # filled from the runs at the session's end (with_environment)
            del data["environment"]
        for key in ("adaptive_seeds", "design", "design_note"):  # absent rather than null
            if data[key] is None:
                del data[key]
        if not data["dataset_searched"]:  # a dataset found or asked for: nothing was searched in vain
            del data["dataset_searched"]
        return data


def design_fields(design) -> dict:
    """SessionMeta's design keys from a claims.design.Design (None: none)."""
    if design is None:
        return {}
    return {"design": design.to_dict(), "adaptive_seeds": design.sequential and design.sequential.to_dict()}


def with_environment(meta: dict, runs: list) -> dict:
    """``meta`` with the environment of the first run when it has none yet (header: hardware, versions)."""
    if runs and not meta.get("environment"):
        return {**meta, "environment": runs[0].environment}
    return dict(meta)
