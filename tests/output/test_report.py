"""The figure report: files, figure sizes, self-contained HTML, sections, and `tp2 report` from a store."""

from __future__ import annotations

import base64
import dataclasses
import re

import numpy as np
import pytest
from PIL import Image

from tp2core import cli

from tp2core.cli import report as cli_report

from tp2core.output import report

from tp2core.output import figures as report_figures

from tp2core.output import html as report_html
from tp2core.claims.claim import judge
from tp2core.claims.catalog import CLAIMS_BY_NAME
from tp2core.data.dataset import Dataset, array_fingerprint
from tp2core.errors import Tp2Error
from tp2core.output.tables import group_runs

from runs_factory import make_run, meta

ACC = {"model0": 0.20, "model1": 0.01, "model2": 0.26, "model2-bugaug": 0.26, "model2-b1024": 0.25}
CLAIMED = ("hidden-softmax-collapses", "softmax-gradient-vanishes", "relu-beats-course-baseline")


def tiny_dataset() -> Dataset:
    """2 train / 1 test image per fine class: enough for a sample grid and class counts."""
    rng = np.random.default_rng(0)
    y_train, y_test = np.repeat(np.arange(100), 2), np.arange(100)
    x_train = rng.integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (100, 32, 32, 3), dtype=np.uint8)
    return Dataset(x_train, y_train, x_test, y_test, y_train // 5, y_test // 5, [f"class{i}" for i in range(100)],
                   "simulated", array_fingerprint(x_train, y_train, x_test, y_test), source="test: tiny arrays",
                   simulated=True)


def sample_inputs(fp: str = "f" * 64, dataset: str = "simulated"):
    """(meta, runs, judgements) of three seeds of five variants, one model1 seed failed; three claims judged."""
    runs = []
    for variant, acc in ACC.items():
        for seed in range(3):
            first = 1e-4 if variant == "model1" else 1.0  # the mechanism: softmax shrinks the first layer's grad
            grad = {"init": {"dense_1": first * (1 + seed / 10), "dense_2": 2.0, "output": 3.0},
                    "epoch1": {"dense_1": first * 5, "dense_2": 1.0, "output": 2.0}}
            failed = variant == "model1" and seed == 2
            runs.append(make_run(variant, seed, acc + 0.01 * seed, fp=fp, grad=grad, dataset=dataset,
                                 status="failed" if failed else "ok", failure="non-finite loss" if failed else None,
                                 images_per_second=1000.0 * (2 if variant == "model2-b1024" else 1) + seed))
    by_variant = group_runs(runs)
    judgements = [judge(c, {v: by_variant[v] for v in c.variants}, dataset=dataset, profile="smoke")
                  for c in (CLAIMS_BY_NAME[n] for n in CLAIMED)]
    return {**meta(dataset, fp=fp, seeds=(0, 1, 2)), "environment": runs[0].environment}, runs, judgements


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ds = tiny_dataset()
    m, runs, judgements = sample_inputs(fp=ds.fingerprint)
    out = tmp_path_factory.mktemp("report")
    return out, report.write_report(meta=m, runs=runs, judgements=judgements, out_dir=out, dataset=ds)


class TestWriteReport:
    def test_writes_markdown_html_and_stable_png_names(self, written):
        """report.md, report.html, one PNG per claim and the learning/gradient/throughput figures."""
        out, paths = written
        names = {p.name for p in paths}
        expected = {"report.md", "report.html", "learning-curves.png", "gradient-norms.png", "throughput.png"}
        expected |= {f"claim-{c}.png" for c in CLAIMED}
        assert expected <= names
        assert all(p.parent == out and p.is_file() and p.stat().st_size > 0 for p in paths)
        assert not list(out.glob(".*.tmp"))  # atomic writes leave no temp files

    def test_each_png_decodes_at_figsize_times_dpi(self, written):
        """Pixel size = figsize (in) × DPI: no tight bbox silently resizing figures."""
        _, paths = written
        pngs = [p for p in paths if p.suffix == ".png"]
        assert len(pngs) >= 5
        sizes = {}
        for p in pngs:
            with Image.open(p) as im:
                im.load()  # decodes the whole image: a torn file fails here
                sizes[p.name] = im.size
        assert report_figures.DPI == 100
        assert sizes["learning-curves.png"] == (1300, 550)  # figsize 13 × 5.5 in
        assert sizes["gradient-norms.png"] == (1200, 520)  # 12 × 5.2 in
        assert sizes["claim-relu-beats-course-baseline.png"] == (700, 520)  # one panel: 7 × 5.2 in
        assert sizes["throughput.png"] == (1000, 350)  # 10 × max(3.5, 1 + 0.45 × 5) in

    def test_markdown_has_header_tables_and_one_section_per_claim(self, written):
        """Header facts, claim and variant tables, a section with a linked figure for each claim."""
        out, _ = written
        md = (out / "report.md").read_text()
        for needle in ("SIMULATED", "profile: smoke", "seeds: 3 per variant (0, 1, 2)", "hardware: cpu (test)",
                       "tensorflow 2.21.0", "## Claims", "## Variants", "| claim", "| variant", "22% → 0.8%"):
            assert needle in md, needle
        assert md.index("## Claims") < md.index("## Variants") < md.index("## Claim hidden-softmax-collapses")
        for claim in CLAIMED:
            assert f"## Claim {claim}: " in md
            assert f"](claim-{claim}.png)" in md
        for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
            assert (out / link).is_file(), link

    def test_html_is_self_contained_with_every_png_embedded(self, written):
        """No external URL, script or stylesheet; each PNG inlined byte-for-byte as a data URI."""
        out, paths = written
        page = (out / "report.html").read_text()
        assert not re.search(r"(src|href)=\"(?!data:)", page)
        assert "<script" not in page and "<link" not in page and "http" not in page
        embedded = dict(re.findall(r'src="data:image/png;base64,([^"]+)"[^>]*data-file="([^"]+)"', page))
        by_file = {name: data for data, name in embedded.items()}
        pngs = [p for p in paths if p.suffix == ".png"]
        assert set(by_file) == {p.name for p in pngs}
        for p in pngs:
            assert base64.b64decode(by_file[p.name]) == p.read_bytes()
        assert "<table" in page and "<h2" in page

    def test_dataset_section_has_counts_and_sample_grid(self, written):
        """With the runs' dataset given, the report shows its summary and a sample grid PNG."""
        pytest.importorskip("tp2core.data.eda")
        out, paths = written
        assert out / report.EDA_PNG in paths
        with Image.open(out / report.EDA_PNG) as im:
            im.load()
            assert im.size[0] > 0 and im.size[1] > 0
        md = (out / "report.md").read_text()
        assert "Dataset summary incomplete" not in md
        assert re.search(r"\| whole dataset +\| train +\| 200 +\| 100 +\| 2–2", md)
        assert re.search(r"\| used by profile smoke \(first k per class\) +\| validation \(test split\) +\| 100 ", md)

    def test_unloadable_dataset_is_explained_not_fatal(self, tmp_path):
        """A dataset known only by an archive name: the section says why it is skipped; the rest is written."""
        m, runs, _ = sample_inputs()
        m = {**m, "dataset": "archive-0123456789ab", "simulated": False}
        paths = report.write_report(meta=m, runs=runs, judgements=[], out_dir=tmp_path)
        md = (tmp_path / "report.md").read_text()
        assert "Dataset section skipped" in md and "archive-0123456789ab" in md and "--dataset" in md
        assert tmp_path / report.EDA_PNG not in paths
        assert "No claim was judged" in md

    def test_mismatching_dataset_is_flagged(self, tmp_path):
        """A dataset with another fingerprint than the runs' gets a visible note."""
        m, runs, _ = sample_inputs(fp="a" * 64)
        report.write_report(meta=m, runs=runs[:3], judgements=[], out_dir=tmp_path, dataset=tiny_dataset())
        assert "differs from the runs' aaaaaaaaaaaa" in (tmp_path / "report.md").read_text()

    def test_no_runs_still_writes_the_documents(self, tmp_path):
        """An empty session writes report.md/.html saying there is nothing, and no figures."""
        paths = report.write_report(meta=meta(), runs=[], judgements=[], out_dir=tmp_path, find_dataset=False)
        assert [p.name for p in paths] == ["report.md", "report.html"]
        assert "No successful run recorded" in (tmp_path / "report.md").read_text()


class TestFigureHelpers:
    def test_mean_ci95_is_student_t(self):
        """[1, 2, 3]: mean 2, half-width t(0.975, 2) × 1/√3 = 4.3027 × 0.57735 = 2.4841."""
        mean, lo, hi = report_figures.mean_ci95([1.0, 2.0, 3.0])
        assert mean == 2.0 and hi - mean == pytest.approx(2.4841, abs=1e-4) and mean - lo == pytest.approx(hi - mean)
        assert report_figures.mean_ci95([5.0]) == (5.0, 5.0, 5.0)

    def test_layer_order_is_natural_with_output_last(self):
        """dense_10 after dense_2; the output layer last whatever its name sorts as."""
        assert report_figures.layer_order(["output", "dense_10", "dense_2", "dense_1"]) == \
            ["dense_1", "dense_2", "dense_10", "output"]

    def test_claim_panels_from_the_judgement_alone(self, monkeypatch):
        """Variants per metric and the constant (5 pts near-chance line) come from the comparison results
        themselves: the catalogue is never consulted (it is emptied here)."""
        from tp2core.claims import catalog
        from tp2core.claims.judgement import Judgement

        def judged(name):
            runs = {v: [make_run(v, s, 0.2 + s / 100) for s in range(2)] for v in CLAIMS_BY_NAME[name].variants}
            return Judgement.from_dict(judge(CLAIMS_BY_NAME[name], runs, dataset="simulated",
                                             profile="smoke").to_dict())

        softmax, batch = judged("hidden-softmax-collapses"), judged("large-batch-is-faster")
        monkeypatch.setattr(catalog, "CLAIMS_BY_NAME", {})
        assert report.claim_panels(softmax) == [("val_accuracy", ["model1", "model0"], [5.0])]
        assert report.claim_panels(batch) == [("images_per_second", ["model2-b1024", "model2"], [])]

    def test_html_inline_markup_is_escaped(self):
        """Cell/paragraph text is escaped; only **bold** and `code` become tags."""
        assert report_html._inline("a <b> **x** `y`") == "a &lt;b&gt; <strong>x</strong> <code>y</code>"


class TestSelectRuns:
    def test_picks_most_recent_group_and_says_so(self):
        """Two profiles stored, none chosen: the newest group is reported with a note naming the other."""
        old = make_run("model0", 0, profile="smoke")
        new = make_run("model0", 0, profile="quick")
        old.created, new.created = "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"
        runs, notes = cli_report.select_runs([old, new])
        assert runs == [new]
        assert "most recent" in notes[0] and "smoke" in notes[0]
        assert cli_report.select_runs([old, new], profile="smoke") == ([old], [])

    def test_dataset_by_name_or_fingerprint_prefix(self):
        """--dataset matches a stored name or a ≥6-digit fingerprint prefix; no match lists what is stored."""
        a = make_run("model0", 0, dataset="simulated", fp="a" * 64)
        b = make_run("model0", 0, dataset="cifar100", fp="b" * 64)
        assert cli_report.select_runs([a, b], dataset="cifar100")[0] == [b]
        assert cli_report.select_runs([a, b], dataset="aaaaaa")[0] == [a]
        with pytest.raises(Tp2Error, match=r"no runs of dataset 'mnist'.*holds: cifar100 \(fp bbbbbbbbbbbb\)"):
            cli_report.select_runs([a, b], dataset="mnist")

    def test_newest_run_per_variant_and_seed(self):
        """Two stored runs of one (variant, seed) with other settings: only the newest is kept, with a note."""
        a, b = make_run("model0", 0, acc=0.1), make_run("model0", 0, acc=0.3)
        b = dataclasses.replace(b, spec=dataclasses.replace(b.spec, threads=2))
        a.created, b.created = "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"
        runs, notes = cli_report.select_runs([a, b])
        assert runs == [a] and "1 older run" in notes[0]

    def test_meta_from_runs(self):
        """Header facts rebuilt from stored runs: dataset, simulated flag, profile, seeds, environment."""
        m = cli_report.build_meta([make_run("model0", 1), make_run("model1", 0)])
        assert (m["dataset"], m["simulated"], m["profile"], m["seeds"], m["seed_values"]) == \
            ("simulated", True, "smoke", 2, [0, 1])
        assert "SIMULATED" in m["dataset_label"] and m["environment"]["device"] == "cpu (test)"


class TestCli:
    def test_missing_store_is_a_clear_error(self, tmp_path, capsys):
        """No store: exit 2, one line naming the directory and what to run, no traceback."""
        code = cli.main(["report", "--store", str(tmp_path / "nope")])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("tp2: error: no results store at ") and str(tmp_path / "nope") in err
        assert "pytest benchmarks" in err and "tp2 run" in err and "Traceback" not in err

    def test_empty_store_is_a_clear_error(self, tmp_path, capsys):
        """An existing store without runs: same kind of message."""
        store = pytest.importorskip("tp2core.store.database")
        store.Store(str(tmp_path))  # creates an empty store
        assert cli.main(["report", "--store", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert "holds no runs" in err and str(tmp_path) in err and "pytest benchmarks" in err

    def test_report_from_store(self, tmp_path, capsys):
        """`tp2 report` on a populated store writes report.md, report.html and ≥ 5 PNGs into --out."""
        store = pytest.importorskip("tp2core.store.database")
        _, runs, _ = sample_inputs(fp="c" * 64, dataset="archive-cccccccccccc")  # no loadable name: no data load
        s = store.Store(str(tmp_path / "store"))
        for r in runs:
            s.put(r)
        out = tmp_path / "out"
        assert cli.main(["report", "--store", str(tmp_path / "store"), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert f"→ {out}/" in printed
        assert (out / "report.md").is_file() and (out / "report.html").is_file()
        assert len(list(out.glob("*.png"))) >= 5
        md = (out / "report.md").read_text()
        assert "## Claim hidden-softmax-collapses" in md and "claims not reported" in md  # model3… not stored
        assert "Dataset section skipped" in md and "archive-cccccccccccc" in md
