"""Regenerate the README's pictures from the embedded demo data.

Run from the repository root::

    .venv/bin/python docs/make_figures.py

It writes

* ``docs/demo_map.png``: the demo's offline map (flags, the district plan and
  the example chiefs roster), opened in headless Chromium with the network
  blocked, 1200 px wide;
* ``docs/atlas_page.png``: the Hangzhou page of the demo's atlas by city,
  rendered at 80 dpi with ``pdftoppm``;
* ``docs/bulletin.png``: the top of the demo's monthly bulletin page (the
  synthetic November 2026 and the two months before it), 900 px wide;
* ``docs/edit_mode.png``: the map's editing mode on the district plan, after a
  split and a reassignment of the Grand Canal's urban stretch made by clicks,
  with the next split's chainage shown before it is confirmed, 1200 px wide;
* ``docs/qgis_demo.png``: the demo's GeoPackage as QGIS draws it with the
  styles stored in it (units and reaches), rendered by headless QGIS as
  ``tests/test_qgis.py`` renders it, 1200 × 900 px.

Needs Debian's ``chromium`` and ``poppler-utils`` (``apt-get install chromium
poppler-utils fonts-noto-cjk``) and Playwright for Python (the ``test`` extra;
Playwright's own browser download is never used), and for the QGIS picture
Debian's ``qgis python3-qgis qgis-providers``. ``--only qgis`` (or ``map``,
``atlas``, ``bulletin``, ``edit``) makes one picture. The pictures are palette
PNGs (256 colours), each well under 400 KB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MAP_SIZE = (1200, 900)  # CSS pixels of the browser window
ATLAS_DPI = 80
ATLAS_UNIT = "杭州市"
BULLETIN_SIZE = (900, 1500)  # CSS pixels of the window, and of the picture
EDIT_SIZE = (1200, 860)  # CSS pixels of the browser window
QGIS_SIZE = (1200, 900)  # pixels of the QGIS map canvas
MAX_BYTES = 400_000
#: The pictures, in the order they are made.
FIGURES = ("map", "atlas", "bulletin", "edit", "qgis")

sys.path.insert(0, str(ROOT))  # for tests/browser.py, the browser set-up the map tests use

import rivermap as rm  # noqa: E402
from rivermap.chiefs import example_roster_path  # noqa: E402
from rivermap.io import atomic_output  # noqa: E402
from tests import browser as br  # noqa: E402
from tests import qgis_headless as qh  # noqa: E402


def demo_result() -> tuple[rm.Responsibility, rm.Plan]:
    """Return the demo's responsibility with the example roster, and its district plan."""
    resp = rm.assign(*rm.datasets.load_demo()).with_chiefs(example_roster_path())
    return resp, rm.redivide(resp, level="district", policy="majority")


def save_png(source: Path, target: Path) -> Path:
    """Write ``source`` as a 256-colour optimized PNG (the pictures are flat colours)."""
    from PIL import Image

    with Image.open(source) as img:
        small = img.convert("RGB").quantize(colors=256)
    with atomic_output(target, overwrite=True) as tmp:
        small.save(tmp, format="PNG", optimize=True)
        size = tmp.stat().st_size
        if size > MAX_BYTES:
            msg = f"{target}: {size:,} bytes, more than {MAX_BYTES:,}; not written"
            raise SystemExit(msg)
    return target


def make_map(resp: rm.Responsibility, plan: rm.Plan, work: Path, target: Path) -> Path:
    """Screenshot the offline demo map in headless Chromium, network blocked."""
    reason = br.unavailable_reason()
    if reason:
        raise SystemExit(f"cannot make {target.name}: {reason}")
    html = rm.maps.save_html(rm.maps.responsibility_map(resp, plan=plan), work / "map.html")
    shot = work / "map.png"
    with br.browser() as b:
        page, log, _ = br.open_map(b, html, width=MAP_SIZE[0], height=MAP_SIZE[1])
        page.wait_for_timeout(500)  # let label placement settle
        page.screenshot(path=str(shot))
        page.close()
    if log.blocked or log.errors:
        raise SystemExit(f"the map was not clean: blocked {log.blocked}, errors {log.errors}")
    return save_png(shot, target)


def _page_of(pdf: Path, title_start: str) -> int:
    """Return the first page whose text starts with ``title_start`` (after the overview)."""
    n = 1
    while True:
        n += 1
        text = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=False,
        )
        if text.returncode != 0 or not text.stdout.strip():
            raise SystemExit(f"no atlas page for {title_start} in {pdf}")
        if text.stdout.lstrip().startswith(title_start):
            return n


def make_atlas_page(resp: rm.Responsibility, plan: rm.Plan, work: Path, target: Path) -> Path:
    """Render one unit's page of the demo atlas with pdftoppm."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        raise SystemExit(f"cannot make {target.name}: apt-get install poppler-utils")
    pdf = rm.maps.atlas(
        resp,
        work / "atlas.pdf",
        by="city",
        plan=plan,
        credit=rm.datasets.attribution("zhejiang"),
    )
    n = _page_of(pdf, ATLAS_UNIT)
    stem = work / "page"
    pages = ["-f", str(n), "-l", str(n)]
    subprocess.run(
        ["pdftoppm", *pages, "-r", str(ATLAS_DPI), "-png", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    return save_png(stem.with_suffix(".png"), target)


def make_bulletin(resp: rm.Responsibility, work: Path, target: Path) -> Path:
    """Screenshot the top of the demo's bulletin page in headless Chromium, network blocked."""
    reason = br.unavailable_reason()
    if reason:
        raise SystemExit(f"cannot make {target.name}: {reason}")
    files = rm.synth.write_month(resp, work / "month", month="2026-11", months=3)
    events = rm.read_events(files["events"], crs="gcj02")
    events.attrs["synthetic"] = True
    b = rm.bulletin(
        resp, events=events, patrols=rm.read_patrols(files["tracks"]), month="2026-11",
        level="district",
    )  # fmt: skip
    page_path = b.to_html(work / "bulletin.html")
    shot = work / "bulletin.png"
    with br.browser() as browser:
        page = browser.new_page(viewport={"width": BULLETIN_SIZE[0], "height": BULLETIN_SIZE[1]})
        blocked: list[str] = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else (blocked.append(r.request.url), r.abort()))  # fmt: skip
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(shot))
        page.close()
    if blocked:
        raise SystemExit(f"the bulletin asked the network for {blocked}")
    return save_png(shot, target)


def _click_river(page: Any, river: str, m: float, zoom: float) -> None:
    """Centre the map on chainage ``m`` of ``river`` and click there, as the editing tests do."""
    pt = page.evaluate(
        """([r, m, z]) => { const h = rivermap.maps[0], ed = h.editor;
            h.map.setView(ed.model.pointAt(r, m), z, { animate: false });
            return ed.screenPoint(r, m); }""",
        [river, m, zoom],
    )
    page.wait_for_timeout(200)
    box = page.locator(".rm-map").first.bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])


def make_edit_mode(resp: rm.Responsibility, plan: rm.Plan, work: Path, target: Path) -> Path:
    """Screenshot the editing mode after two edits made by clicks, a third one pending."""
    reason = br.unavailable_reason()
    if reason:
        raise SystemExit(f"cannot make {target.name}: {reason}")
    m = rm.maps.responsibility_map(resp, plan=plan, edit=True, flags=False)
    html = rm.maps.save_html(m, work / "edit.html")
    shot = work / "edit.png"
    with br.browser() as b:
        page, log, _ = br.open_map(b, html, width=EDIT_SIZE[0], height=EDIT_SIZE[1])
        canal = "京杭运河(江南运河)"  # all of its first 46.8 km go to 临平区 by majority
        page.click(".rm-edit-split")
        _click_river(page, canal, 14_456, 14)  # the 拱墅区 | 余杭区 border
        page.fill(".rm-edit-pending .rm-edit-note", "拱墅区与余杭区交界处断开")
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-assign")
        _click_river(page, canal, 9_000, 14)
        page.click(".rm-edit-pending .rm-edit-unit >> text=拱墅区")
        page.fill(".rm-edit-pending .rm-edit-note", "城区段交拱墅区")
        page.click(".rm-edit-confirm")
        page.click(".rm-edit-split")
        _click_river(page, canal, 3_980, 14)  # the 上城区 | 拱墅区 border, pending
        page.evaluate(
            """(r) => { const h = rivermap.maps[0];
                const parts = h.editor.model.partsOf(r, 0, 22000);
                h.map.fitBounds(L.latLngBounds([].concat(...parts)),
                                { paddingTopLeft: [330, 30], paddingBottomRight: [30, 30] }); }""",
            canal,
        )
        page.wait_for_timeout(500)  # let label placement settle
        page.mouse.move(10, EDIT_SIZE[1] - 10)  # no tooltip over the picture
        page.screenshot(path=str(shot))
        page.close()
    if log.blocked or log.errors:
        raise SystemExit(f"the map was not clean: blocked {log.blocked}, errors {log.errors}")
    return save_png(shot, target)


def make_qgis(resp: rm.Responsibility, work: Path, target: Path) -> Path:
    """Render the demo's GeoPackage, styled from its ``layer_styles``, in headless QGIS."""
    reason = qh.unavailable_reason()
    if reason:
        raise SystemExit(f"cannot make {target.name}: {reason}")
    gpkg = resp.to_file(work / "qgis_demo.gpkg", overwrite=True)
    shot = work / "qgis_demo.png"
    config = {"checks": ["render"], "demo_gpkg": str(gpkg), "png": str(shot), "size": QGIS_SIZE}
    report = qh.run_session(config)
    if "error" in report or "error" in report.get("render", {}):
        raise SystemExit(f"QGIS could not render the demo: {report}")
    return save_png(shot, target)


def main(argv: list[str] | None = None) -> int:
    """Make the README's figures; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNGs (docs/)")
    parser.add_argument("--only", choices=FIGURES, help="make this picture only")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    resp, plan = demo_result()
    makers = {
        "map": lambda work: make_map(resp, plan, work, args.out / "demo_map.png"),
        "atlas": lambda work: make_atlas_page(resp, plan, work, args.out / "atlas_page.png"),
        "bulletin": lambda work: make_bulletin(resp, work, args.out / "bulletin.png"),
        "edit": lambda work: make_edit_mode(resp, plan, work, args.out / "edit_mode.png"),
        "qgis": lambda work: make_qgis(resp, work, args.out / "qgis_demo.png"),
    }
    with tempfile.TemporaryDirectory(prefix="rivermap-figures-") as tmp:
        for name in [args.only] if args.only else FIGURES:
            path = makers[name](Path(tmp))
            print(f"{path}  {path.stat().st_size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
