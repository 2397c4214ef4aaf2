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
    dataset_searched: list[str] = field(default_factory=list)  # Dataset.searched: where `auto` looked for CIFAR-100
    # the process that built these facts: {"commit", "dirty" (git checkout only), "distributions": {name: version}}
    provenance: dict = field(default_factory=provenance)

    @classmethod
    def of_session(cls, dataset, profile: str, seeds: list[int], precision: str, design=None) -> "SessionMeta":
        """A session's facts: its loaded Dataset, profile name, seeds (of the first stage), precision and the
        adaptive-seed design (claims.sequential.SequentialDesign) if any."""
        return cls(dataset.name, dataset.label, dataset.source, dataset.fingerprint, dataset.simulated, profile,
                   len(seeds), list(seeds), precision, adaptive_seeds=design and design.to_dict(),
                   dataset_searched=list(getattr(dataset, "searched", ())))

    def to_dict(self) -> dict:
        data = asdict(self)
        if not data["environment"]:  # filled from the runs at the session's end (with_environment)
            del data["environment"]
        if data["adaptive_seeds"] is None:  # fixed seeds: the document as before adaptive seeds existed
            del data["adaptive_seeds"]
        if not data["dataset_searched"]:  # a dataset found or asked for: nothing was searched in vain
            del data["dataset_searched"]
        return data


def with_environment(meta: dict, runs: list) -> dict:
    """``meta`` with the environment of the first run when it has none yet (header: hardware, versions)."""
    if runs and not meta.get("environment"):
        return {**meta, "environment": runs[0].environment}
    return dict(meta)
