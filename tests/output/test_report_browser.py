"""report.html in a real headless Chromium, offline: every embedded figure decodes and the page renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageStat

from tp2core.output import report

from test_report import sample_inputs, tiny_dataset

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless browser installed "
                                "(Debian: apt-get install -y chromium)")
# Probe appended to a copy of the page (the report itself ships no script): after `load`, record each <img>'s
# decoded width on <html>, where --dump-dom shows it.
PROBE = """<script>window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => [i.dataset.file, i.complete, i.naturalWidth, i.naturalHeight]);
  document.documentElement.setAttribute("data-probe", JSON.stringify(imgs));
});</script>"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    return subprocess.run([BROWSER, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    ds = tiny_dataset()
    m, runs, judgements = sample_inputs(fp=ds.fingerprint)
    paths = report.write_report(meta=m, runs=runs, judgements=judgements, out_dir=out, dataset=ds)
    return out, [p for p in paths if p.suffix == ".png"]


def test_every_embedded_image_decodes(page, tmp_path):
    """Each <img> is complete with its PNG's natural size, loaded from data URIs only."""
    out, pngs = page
    probed = tmp_path / "probed.html"
    probed.write_text((out / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    done = chromium(tmp_path, "--dump-dom", probed.as_uri())
    match = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert match, f"no probe result; chromium rc={done.returncode} stderr tail: {done.stderr[-800:]}"
    imgs = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert {name for name, *_ in imgs} == {p.name for p in pngs}
    for name, complete, width, height in imgs:
        with Image.open(out / name) as im:
            assert (complete, width, height) == (True, *im.size), name


def test_screenshot_is_not_blank(page, tmp_path):
    """The rendered page (first 1200×2000 px) has real content: many distinct pixel values, not one colour."""
    out, _ = page
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", (out / "report.html").as_uri())
    assert shot.is_file(), f"no screenshot; chromium rc={done.returncode} stderr tail: {done.stderr[-800:]}"
    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        assert rgb.size == (1200, 2000)
        assert max(ImageStat.Stat(rgb).stddev) > 20  # a blank or error page is near-uniform
        assert len(rgb.getcolors(maxcolors=1 << 20) or []) > 50
