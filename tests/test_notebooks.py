"""The notebooks in ``notebooks/``: committed without outputs, and each runs top to bottom.

Every notebook is executed with nbclient in a fresh IPython kernel, in a
temporary working directory; a failing cell fails the test. The kernel is
started from a kernelspec written for the test that runs *this* interpreter
(``sys.executable``), so a ``python3`` kernelspec elsewhere on the machine (in
``~/.local/share/jupyter`` for instance) cannot send the notebooks to another
Python. Needs ``nbclient``, ``nbformat`` and ``ipykernel`` (the ``test`` extra).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from ipykernel.kernelspec import write_kernel_spec
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "rivermap-test"
CELL_TIMEOUT_S = 300

#: What each notebook must write into ``out/notebooks/`` (and nothing else anywhere).
OUTPUTS = {
    "01-quickstart.ipynb": {"zhejiang_responsibility.gpkg"},
    "02-redraw-segments.ipynb": {
        "edit_map.html",
        "edits.geojson",
        "flags_district.xlsx",
        "plan_district.gpkg",
        "plan_district.xlsx",
    },
    "03-meeting-map-and-atlas.ipynb": {
        "atlas_city.pdf",
        "meeting_map.html",
        "signboards_city.xlsx",
    },
    "04-your-own-data.ipynb": {"hangzhou_responsibility.gpkg"},
    "05-reports-and-patrols.ipynb": {
        "synthetic_month",
        "routed.xlsx",
        "patrols.xlsx",
        "reports_map.html",
    },
    "06-monthly-bulletin.ipynb": {
        "synthetic_months",
        "bulletin.html",
        "bulletin.xlsx",
        "signboards.pdf",
        "signboards_stretch.pdf",
    },
}

#: Text each notebook must print or display: evidence that its steps did what the prose says.
SHOWS = {
    "01-quickstart.ipynb": ["Responsibility(11 rivers, 148 reaches", "浙江省示例", "河长所在单位"],
    "02-redraw-segments.ipynb": [
        "方案 / plan: district-",
        "PlanEditor",
        "edit #0: split 京杭运河(江南运河)",
        "edit #1: assign 京杭运河(江南运河) 0.0–14.5 km from 330113 to 330105 (拱墅区)",
        "edit #2: merge 富春江-1, 富春江-2, 富春江-3",
        "工作表 / sheets: ['方案河段', '易主河段', '单位增减', '未对应河段']",
    ],
    "03-meeting-map-and-atlas.ipynb": ["河长所在单位无河流", "meeting_map.html", "atlas_city.pdf"],
    "04-your-own-data.ipynb": [
        "China Geodetic Coordinate System 2000",
        "AdminUnits(city: 1, district: 13",
        "不写 GCJ-02 时边界平均偏移",
        "没有发现问题",
        "杭州市京杭运河河长",
    ],
    "05-reports-and-patrols.ipynb": [
        "合成演示数据",
        "Synthetic demo data",
        "条工单 / reports",
        "chiefs with no valid patrol",
        "patrols.xlsx ['说明', '巡河考核', '巡河记录', '巡查河段', '巡河要求']",
    ],
    "06-monthly-bulletin.ipynb": [
        "900 条工单 / reports",
        "score = 0.5 × completion + 0.3 × closure_rate_all + 0.2 × reporting",
        "办结率超过 100% 的区县 / districts above 100 %",
        "沉默单位 / silent units: 65 / 90",
        "本月受理(上月)",
        (
            "bulletin.xlsx ['说明', '排名', '单位指标', '河长指标', '沉默单位', '环比', "
            "'未分派工单', '逐月']"
        ),
        "signboards.pdf · 11 张公示牌 / boards",
        "分段公示牌 / stretch boards: 40",
        "match = qr",
    ],
}

NAMES = sorted(OUTPUTS)


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _texts(nb: nbformat.NotebookNode) -> Iterator[tuple[str, str]]:
    """(kind, text) of every output: stream name or mime type."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                yield out["name"], out["text"]
            elif out["output_type"] in ("execute_result", "display_data"):
                for mime, data in out["data"].items():
                    if mime.startswith("text/"):
                        yield mime, data if isinstance(data, str) else "".join(data)


def test_every_notebook_is_listed() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
    counted = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is not None
    ]
    assert not dirty, f"{name}: cells {dirty} carry outputs; clear them before committing"
    assert not counted, f"{name}: cells {counted} carry execution counts; clear them"
    assert not any(c.get("attachments") for c in nb.cells)


@pytest.mark.parametrize("name", NAMES)
def test_markdown_is_chinese_then_english(name: str) -> None:
    nb = _read(name)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        first_cjk = next((k for k, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"), None)
        english = text.rfind("*")
        assert first_cjk is not None, f"{name} cell {i}: no Chinese"
        assert english > first_cjk, f"{name} cell {i}: no English line after the Chinese"


@dataclass
class Run:
    """A notebook executed in its own working directory."""

    nb: nbformat.NotebookNode
    workdir: Path
    seconds: float

    @property
    def out(self) -> Path:
        """Return the folder the notebooks write their outputs into."""
        return self.workdir / "out" / "notebooks"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """Execute a notebook (once per test module) and return the executed copy."""
    # a kernelspec of our own, found through JUPYTER_PATH: the kernel runs this interpreter
    root = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(root / "kernels" / KERNEL, overrides={"display_name": "rivermap tests"})
    spec = json.loads((root / "kernels" / KERNEL / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    done: dict[str, Run] = {}

    def execute(name: str) -> Run:
        if name not in done:
            nb = _read(name)
            workdir = tmp_path_factory.mktemp(Path(name).stem)
            client = NotebookClient(
                nb,
                kernel_name=KERNEL,
                timeout=CELL_TIMEOUT_S,
                resources={"metadata": {"path": str(workdir)}},
            )
            t0 = time.perf_counter()
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("JUPYTER_PATH", str(root))
                client.execute()  # raises CellExecutionError, naming the failing cell
            done[name] = Run(nb, workdir, time.perf_counter() - t0)
        return done[name]

    return execute


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_runs_top_to_bottom(name: str, run: Callable[[str], Run]) -> None:
    r = run(name)
    code = [c for c in r.nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    texts = list(_texts(r.nb))
    stderr = [t for kind, t in texts if kind == "stderr"]
    assert not stderr, f"{name} wrote to stderr (a warning?): {stderr}"
    shown = "\n".join(t for _, t in texts)
    missing = [s for s in SHOWS[name] if s not in shown]
    assert not missing, f"{name} did not show {missing}"

    # everything goes to out/notebooks/ under the working directory, nothing elsewhere
    assert sorted(p.name for p in r.workdir.iterdir()) == ["out"]
    assert {p.name for p in r.out.iterdir()} == OUTPUTS[name]
    assert all((r.out / f).stat().st_size > 0 for f in OUTPUTS[name])
    print(f"{name}: {r.seconds:.1f} s")


@pytest.mark.slow
def test_meeting_files_have_chinese_headers(run: Callable[[str], Run]) -> None:
    """The meeting files of notebook 02 open in Excel with Chinese headers and hold the edits."""
    out = run("02-redraw-segments.ipynb").out
    segments = pd.read_excel(out / "plan_district.xlsx", sheet_name="方案河段", dtype=str)
    assert list(segments.columns[:3]) == ["河段编码", "河流编码", "名称"]
    canal = segments[segments["河流编码"] == "京杭运河(江南运河)"]
    assert canal["责任单位"].iloc[0] == "拱墅区"  # the planner's assign edit
    fuchun = segments[segments["河流编码"] == "富春江"]
    assert fuchun["责任单位"].iloc[0] == "桐庐县"  # the merge
    flags = pd.read_excel(out / "flags_district.xlsx", dtype=str)
    assert list(flags.columns[:3]) == ["河流编码", "河流名称", "级别"]
    edits = json.loads((out / "edits.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["action"] for f in edits["features"]] == ["split", "assign", "merge"]


@pytest.mark.slow
def test_own_data_round_trip(run: Callable[[str], Run]) -> None:
    """Notebook 04 read GBK shapefiles in GCJ-02: its result matches the demo's Hangzhou units."""
    import rivermap as rm

    resp = rm.read_responsibility(
        run("04-your-own-data.ipynb").out / "hangzhou_responsibility.gpkg"
    )
    assert resp.levels == ("city", "district")
    _, units = rm.datasets.load_demo()
    demo = units.frame.set_index("unit_id")
    mine = resp.units.set_index("unit_id")
    assert mine.loc["330106", "name"] == "西湖区"
    assert mine.loc["330106", "parent_id"] == "330100"
    # GCJ-02 there and back: the outlines land within a metre of where they started
    metric = "EPSG:4549"
    moved = mine.geometry.to_crs(metric).hausdorff_distance(
        demo.loc[mine.index].geometry.to_crs(metric)
    )
    assert float(moved.max()) < 1.0
