"""rivermap.scale: tiles on threads and on a Dask cluster give rivermap.assign's result exactly.

Every comparison covers every reach (ids, chainage to 1e-9, the unit of every
level, kind, sides, responsible, the line), the rivers table, the units table
and the summary, on the synthetic S city, on Zhejiang (1:4M rivers merged by
name) and on Liechtenstein (OpenStreetMap, rivers along the borders), with
tiles so small that many occur and long rivers get tiles of their own.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rivermap as rm
from rivermap import _scale_io, datasets, scale
from rivermap.cli import main
from rivermap.errors import DataError, OutputExistsError, ParameterError, SchemaError
from rivermap.synth import make_city
from rivermap.units import AdminUnits

CITY_LEVELS = ("district", "street", "community")
# River vertices a tile: small enough for many tiles and tiles of long rivers
TINY = {"city": 3_000, "zhejiang": 150, "liechtenstein": 60}


def load(name: str) -> tuple[gpd.GeoDataFrame, AdminUnits]:
    """Rivers and units of a case: the S city, or an embedded real dataset."""
    if name == "city":
        rivers, frame = make_city(500, 2000, seed=0)
        return rivers, AdminUnits(frame, CITY_LEVELS)
    return datasets.load(name)


@pytest.fixture(scope="module", params=["city", "zhejiang", "liechtenstein"])
def case(request):
    """Return a case: its name, rivers, units, and rivermap.assign's result on them."""
    rivers, units = load(request.param)
    return request.param, rivers, units, rm.assign(rivers, units)


def assert_same(whole, tiled) -> None:
    """Assert that two results hold the same reaches, rivers, units and summary."""
    a, b = whole.reaches, tiled.reaches
    assert a["reach_id"].tolist() == b["reach_id"].tolist()
    for col in ("from_m", "to_m", "length_m"):
        np.testing.assert_allclose(b[col], a[col], rtol=0, atol=1e-9)
    text = [c for c in a.columns if c not in ("from_m", "to_m", "length_m", "geometry")]
    pd.testing.assert_frame_equal(a[text], b[text])
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9).all()
    assert a.crs == b.crs
    pd.testing.assert_frame_equal(whole.rivers, tiled.rivers)
    pd.testing.assert_frame_equal(
        whole.units.drop(columns="geometry"), tiled.units.drop(columns="geometry")
    )
    assert whole.units.geometry.geom_equals(tiled.units.geometry).all()
    assert whole.summary == tiled.summary
    assert whole.levels == tiled.levels
    assert whole.params == tiled.params


# ======================================================================= tiles
def test_tiles_on_threads_give_the_whole_result(case) -> None:
    name, rivers, units, whole = case
    assert_same(whole, scale.assign(rivers, units, tiles=TINY[name], workers=2))


@pytest.mark.parametrize("name", ["city", "liechtenstein"])  # Zhejiang has no long river
def test_tiny_tiles_are_many_and_long_rivers_get_their_own(name) -> None:
    rivers, _ = load(name)
    b = rivers.bounds.to_numpy()
    n = shapely.get_num_coordinates(rivers.geometry.to_numpy())
    plan = scale._plan(b, n, TINY[name])
    assert len(plan) >= 8
    long = [t for t in plan if t.box is None]
    assert 0 < len(long) < len(plan)
    assert sorted(np.concatenate([t.rows for t in plan])) == list(range(len(rivers)))


def test_one_tile_gives_the_whole_result_too(case) -> None:
    _, rivers, units, whole = case
    assert_same(whole, scale.assign(rivers, units, tiles=10**9, workers=1))


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(40, 4_000), seed=st.integers(0, 2**16))
def test_the_result_depends_on_neither_tile_size_nor_tile_order(size, seed, monkeypatch) -> None:
    rivers, units = LIECHTENSTEIN
    plan = scale._plan

    def shuffled(*args):
        tiles = plan(*args)
        random.Random(seed).shuffle(tiles)
        return tiles

    monkeypatch.setattr(scale, "_plan", shuffled)
    assert_same(LIECHTENSTEIN_WHOLE, scale.assign(rivers, units, tiles=size, workers=2))


LIECHTENSTEIN = load("liechtenstein")
LIECHTENSTEIN_WHOLE = rm.assign(*LIECHTENSTEIN)


def test_tiles_start_largest_first() -> None:
    rivers, _ = LIECHTENSTEIN
    b = rivers.bounds.to_numpy()
    n = shapely.get_num_coordinates(rivers.geometry.to_numpy())
    plan = scale._plan(b, n, TINY["liechtenstein"])
    assert [t.vertices for t in plan] == [int(n[t.rows].sum()) for t in plan]
    order = scale._largest_first(plan)
    assert sorted(order) == list(range(len(plan)))
    assert [plan[i].vertices for i in order] == sorted((t.vertices for t in plan), reverse=True)


def test_a_tile_travels_in_narrow_integers_and_comes_back_the_same() -> None:
    from rivermap.assign import _Pieces

    rng = np.random.default_rng(0)
    n = 1000
    ints = {  # -1 (none) up to codes that need 8, 16, 32 and 64 bits
        "river": rng.integers(0, 100, n),
        "kind": rng.integers(0, 3, n),
        "unit": rng.integers(-1, 40_000, n),
        "left": rng.integers(-1, 3_000_000_000, n),
        "right": np.full(n, -1),
    }
    lo = np.sort(rng.random(n))
    pieces = _Pieces(ints["river"], lo, lo + 1.0, ints["kind"], ints["unit"], ints["left"],
                     ints["right"])  # fmt: skip
    levels = (rng.integers(-1, 600_000, n), rng.integers(-1, 5, n))
    rows = np.arange(0, 200, 2)
    slivers, sliver_river = rng.random(3), np.array([0, 4, 198])
    table, stats = pd.DataFrame({"a": [1]}), {"tile": 1}
    tile = scale._Tile(rows, pieces, None, rng.random(100), slivers, sliver_river, levels,
                       table, stats)  # fmt: skip
    sent = pickle.dumps(tile)
    assert len(sent) < 0.6 * len(pickle.dumps(tile.__dict__))  # narrower on the wire
    back = pickle.loads(sent)
    for mine, theirs in zip(tile.pieces.columns(), back.pieces.columns(), strict=True):
        assert theirs.dtype == mine.dtype
        assert np.array_equal(theirs, mine)
    for mine, theirs in [*zip(tile.levels, back.levels, strict=True), (rows, back.rows)]:
        assert theirs.dtype == np.int64
        assert np.array_equal(theirs, mine)
    assert np.array_equal(back.sliver_river, tile.sliver_river)
    assert back.stats == tile.stats
    assert back.rivers.equals(tile.rivers)


def test_rivers_far_from_the_units_are_named_as_the_whole_names_them() -> None:
    rivers, units = datasets.load("zhejiang")
    far = rivers.head(2).copy()  # Liechtenstein's axes swapped: degrees, but far away
    far.geometry = [
        shapely.LineString([(47.10, 9.50), (47.20, 9.55)]),
        shapely.LineString([(47.0, 9.4), (47.1, 9.6)]),
    ]
    far["river_id"] = ["far1", "far2"]
    mixed = gpd.GeoDataFrame(pd.concat([rivers, far], ignore_index=True), crs=rivers.crs)
    n = len(mixed)
    with pytest.warns(rm.RivermapWarning, match=rf"2 of {n} river\(s\) lie far .*'far1', 'far2'"):
        whole = rm.assign(mixed, units)
    with pytest.warns(rm.RivermapWarning, match=rf"2 of {n} river\(s\) lie far .*'far1', 'far2'"):
        assert_same(whole, scale.assign(mixed, units, tiles=150))
    with pytest.raises(rm.CRSError, match=r"none of the 2 river\(s\) comes near the units"):
        scale.assign(far, units)


def test_rivers_far_from_the_units_in_a_file_are_named_with_the_file(tmp_path) -> None:
    rivers, units = datasets.load("zhejiang")
    far = rivers.head(2).copy()
    far.geometry = [shapely.LineString([(47.10, 9.50), (47.20, 9.55)])] * 2
    far["river_id"] = ["far1", "far2"]
    path = tmp_path / "far.parquet"
    gpd.GeoDataFrame(pd.concat([rivers, far], ignore_index=True), crs=rivers.crs).to_parquet(
        path, write_covering_bbox=True
    )
    with pytest.warns(rm.RivermapWarning, match=r"far\.parquet: 2 of .*'far1', 'far2'") as seen:
        scale.assign(path, units, tiles=150)
    ours = [w for w in seen if issubclass(w.category, rm.RivermapWarning)]
    assert ours[0].filename == __file__  # the warning points at the caller
    far.to_parquet(path, write_covering_bbox=True)
    with pytest.raises(rm.CRSError, match=r"far\.parquet: none of the 2 river\(s\)"):
        scale.assign(path, units)


def test_the_units_errors_come_before_the_rivers(tmp_path) -> None:
    _, units = LIECHTENSTEIN
    twice = gpd.GeoDataFrame(pd.concat([units.frame, units.frame.iloc[-1:]]), crs=units.crs)
    with pytest.raises(SchemaError, match="units: unit_id must be unique"):
        scale.assign(tmp_path / "missing.parquet", AdminUnits(twice, units.levels))
    with pytest.raises(DataError, match=r"missing\.parquet: no such file"):
        scale.assign(tmp_path / "missing.parquet", units)


def test_boundary_policies_and_parameters_pass_through() -> None:
    rivers, units = LIECHTENSTEIN
    for kwargs in (
        {"boundary_policy": "lead", "min_reach_m": 0},
        {"boundary_policy": "parent", "boundary_tol_m": 35, "boundary_min_m": 100},
        {"boundary_min_m": float("inf")},
    ):
        whole = rm.assign(rivers, units, **kwargs)
        assert_same(whole, scale.assign(rivers, units, tiles=60, **kwargs))


# ======================================================================= files
@pytest.fixture(scope="module")
def city_files(tmp_path_factory):
    """Return the S city written by scale.prepare, and rivermap.assign on the rivers as written."""
    rivers, units = load("city")
    folder = tmp_path_factory.mktemp("city")
    r, u = scale.prepare(rivers, units, folder)
    return r, u, rm.assign(gpd.read_parquet(r), units)


def test_prepare_writes_the_standard_schema_in_hilbert_order(city_files) -> None:
    r, u, _ = city_files
    assert pq.read_schema(r).names == ["river_id", "name", "geometry", "bbox"]
    assert pq.ParquetFile(r).metadata.num_row_groups == 1  # 2,000 rivers, 10,000 a group
    rivers = gpd.read_parquet(r)
    units = gpd.read_parquet(u)
    assert set(units["level"]) == set(CITY_LEVELS)
    b = rivers.bounds.to_numpy()
    centres = np.column_stack([b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]]) / 2
    # neighbours in the file lie near each other: far nearer than rivers at random
    step = np.median(np.hypot(*np.diff(centres, axis=0).T))
    shuffled = centres[np.random.default_rng(0).permutation(len(centres))]
    assert step < 0.2 * np.median(np.hypot(*np.diff(shuffled, axis=0).T))


def test_prepare_writes_whole_files_or_none(tmp_path, monkeypatch) -> None:
    rivers, units = load("city")
    r, u = scale.prepare(rivers.iloc[:10], units, tmp_path)
    before = r.read_bytes(), u.read_bytes()
    with pytest.raises(OutputExistsError):
        scale.prepare(rivers, units, tmp_path)
    write = gpd.GeoDataFrame.to_parquet

    def fail_half_way(frame, path, **kwargs):
        write(frame.iloc[: len(frame) // 2], path, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", fail_half_way)
    with pytest.raises(OSError, match="No space left"):
        scale.prepare(rivers, units, tmp_path, overwrite=True)
    assert (r.read_bytes(), u.read_bytes()) == before  # the old files, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rivers.parquet", "units.parquet"]


def test_files_in_and_out_give_the_whole_result(city_files, tmp_path) -> None:
    r, u, whole = city_files
    out = scale.assign_to_parquet(r, u, tmp_path / "out.parquet", levels=CITY_LEVELS, tiles=3_000)
    names = sorted(p.name for p in out.iterdir())
    assert names[:3] == ["_metadata.json", "_rivers.parquet", "_units.parquet"]
    tiles = json.loads((out / "_metadata.json").read_text(encoding="utf-8"))["tiles"]
    assert len(names) == 3 + len(tiles) >= 10
    assert sum(t["rivers"] for t in tiles) == len(whole.rivers)
    assert len(gpd.read_parquet(out)) == len(whole.reaches)  # the parts alone: the reaches
    assert_same(whole, rm.read_responsibility(out))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rivermap-")]


def test_the_parts_are_the_reaches_as_geopandas_writes_them(city_files, tmp_path) -> None:
    """The parts' lines, written as WKB from coordinates: geopandas' bytes and metadata."""
    import dask_geopandas

    r, u, whole = city_files
    out = scale.assign_to_parquet(r, u, tmp_path / "out.parquet", levels=CITY_LEVELS, tiles=3_000)
    parts = sorted(out.glob("part-*.parquet"))
    tables = [pq.read_table(p) for p in parts]
    order = np.argsort(
        pd.Index(whole.rivers["river_id"]).get_indexer(
            np.concatenate([t["river_id"].to_numpy() for t in tables])
        ),
        kind="stable",
    )
    lines = np.concatenate([t["geometry"].to_numpy(zero_copy_only=False) for t in tables])
    assert list(lines[order]) == list(shapely.to_wkb(whole.reaches.geometry.values))
    reference = tmp_path / "reference.parquet"
    first = gpd.read_parquet(parts[0])
    first.to_parquet(reference, index=False)
    geo = [json.loads(pq.read_schema(p).metadata[b"geo"]) for p in (parts[0], reference)]
    for g in geo:
        g.pop("creator")
    assert geo[0] == geo[1]
    with warnings.catch_warnings():  # dask's own parquet reader, under pandas 3.1
        warnings.filterwarnings("ignore", "The inplace keyword in GeoDataFrame.reset_index")
        frame = dask_geopandas.read_parquet(str(out / "part-*.parquet")).compute()
    frame = frame.set_index("reach_id").loc[whole.reaches["reach_id"]].reset_index()
    pd.testing.assert_frame_equal(frame, whole.reaches, check_like=True)


def test_a_file_read_by_row_groups_or_routed_gives_the_whole_result(tmp_path) -> None:
    rivers, units = load("city")
    whole = rm.assign(rivers, units)
    small = tmp_path / "small_groups.parquet"  # tiles read their row groups
    rivers.to_parquet(small, row_group_size=50, write_covering_bbox=True)
    one = tmp_path / "one_group.parquet"  # every tile would read it all: routed
    rivers.to_parquet(one)
    for path in (small, one):
        assert_same(whole, scale.assign(path, units, tiles=3_000))


def test_many_tiles_routed_share_files(tmp_path, monkeypatch) -> None:
    """More tiles than files may be open: consecutive tiles share one, each reads its own rivers."""
    rivers, units = load("city")
    whole = rm.assign(rivers, units)
    path = tmp_path / "one_group.parquet"
    rivers.to_parquet(path)
    monkeypatch.setattr(_scale_io, "_MAX_OPEN", 3)
    opened: list[str] = []
    real = pq.ParquetWriter

    def writer(where, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(where))
        return real(where, *args, **kwargs)

    monkeypatch.setattr(pq, "ParquetWriter", writer)
    plans: list[int] = []
    real_route = _scale_io.route

    def route(src, tiles, folder):  # type: ignore[no-untyped-def]
        plans.append(len(tiles))
        return real_route(src, tiles, folder)

    monkeypatch.setattr(scale, "route", route)
    assert_same(whole, scale.assign(path, units, tiles=1_000, workers=2))
    assert plans[0] > 3 * 3  # more than three tiles a file
    assert len(opened) == 3


def test_a_geopackage_is_read_by_box_and_by_feature_id(tmp_path) -> None:
    rivers, units = load("zhejiang")
    path = tmp_path / "rivers.gpkg"
    rivers[["river_id", "name", "geometry"]].to_file(path, layer="rivers")
    units_path = tmp_path / "units.gpkg"
    units.frame.to_file(units_path, layer="units")
    whole = rm.assign(rivers, units)
    tiled = scale.assign((path, "rivers"), units_path, levels=units.levels, tiles=150)
    assert_same(whole, tiled)


@pytest.mark.parametrize("suffix", [".parquet", ".gpkg"])
def test_rivers_rewritten_while_assigned_fail_the_run(suffix, tmp_path, monkeypatch) -> None:
    """Re-exported from a GIS mid-run: the same ids and sizes, the lines moved by a metre."""
    rivers, units = load("zhejiang")
    path = tmp_path / f"rivers{suffix}"
    write = gpd.GeoDataFrame.to_parquet if suffix == ".parquet" else gpd.GeoDataFrame.to_file
    frame = rivers[["river_id", "name", "geometry"]]
    write(frame, path)
    setup = scale._setup

    def setup_then_rewrite(*args, **kwargs):
        run = setup(*args, **kwargs)
        write(frame.set_geometry(frame.translate(1.0, 0.0)), path)
        return run

    monkeypatch.setattr(scale, "_setup", setup_then_rewrite)
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError, match="the file changed while rivermap was assigning it"):
        scale.assign_to_parquet(path, units, out, tiles=150, workers=1)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_bad_inputs_are_named(tmp_path) -> None:
    rivers, units = load("zhejiang")
    dup = tmp_path / "dup.parquet"
    twice = pd.concat([rivers, rivers.iloc[:2]], ignore_index=True)
    twice[["river_id", "name", "geometry"]].to_parquet(dup, write_covering_bbox=True)
    with pytest.raises(SchemaError, match=r"dup\.parquet: river_id must be unique; duplicated: "):
        scale.assign(dup, units)
    bare = tmp_path / "bare.parquet"
    rivers[["name", "geometry"]].to_parquet(bare)
    with pytest.raises(SchemaError, match=r"bare\.parquet: no column 'river_id'"):
        scale.assign(bare, units)
    nan = tmp_path / "nan.parquet"
    broken = rivers[["river_id", "name", "geometry"]].copy()
    with np.errstate(invalid="ignore"):
        broken.loc[3, "geometry"] = shapely.from_wkt("LINESTRING (120 30, NaN 30.1)")
    broken.to_parquet(nan)
    with pytest.raises(DataError, match=r"nan\.parquet \(rows 1–11\): 1 feature\(s\) have a NaN"):
        scale.assign(nan, units)
    broken.to_parquet(nan, write_covering_bbox=True)  # the scan reads boxes; the tile says it
    with pytest.raises(
        DataError, match=r"nan\.parquet: 1 feature\(s\) .*: ids '" + broken.loc[3, "river_id"]
    ):
        scale.assign(nan, units)
    with pytest.raises(SchemaError, match="give the level names"):
        scale.assign(rivers, dup)
    with pytest.raises(ParameterError, match="tiles must be auto or a whole number"):
        scale.assign(rivers, units, tiles=0)
    with pytest.raises(ParameterError, match="scheduler must be a Dask scheduler's address"):
        scale.assign(rivers, units, scheduler="localhost")
    with pytest.raises(ParameterError, match=r"write this output as \.parquet, not \.gpkg"):
        scale.assign_to_parquet(rivers, units, tmp_path / "out.gpkg")
    (tmp_path / "there.parquet").mkdir()
    with pytest.raises(OutputExistsError, match="exists"):
        scale.assign_to_parquet(rivers, units, tmp_path / "there.parquet")


def test_the_command_line_writes_the_folder_and_says_the_peak_memory(
    city_files, tmp_path, capsys
) -> None:
    r, u, whole = city_files
    out = tmp_path / "city.parquet"
    argv = ["assign", str(r), str(u), "--levels", ",".join(CITY_LEVELS), "-o", str(out)]
    assert main([*argv, "--tiles", "3000", "--lang", "en"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"{len(whole.rivers)} rivers, {len(whole.reaches)} reaches")
    assert line.endswith(" GB)")
    assert "(peak memory " in line
    assert_same(whole, rm.read_responsibility(out))
    assert main([*argv, "--overwrite", "--quiet"]) == 0  # tiles "auto" for a folder
    assert_same(whole, rm.read_responsibility(out))


# ======================================================================== dask
@pytest.fixture(scope="module")
def cluster():
    """Yield a local Dask cluster of two worker processes with one thread each, and a client.

    No dashboard, and the scheduler's HTTP server (health, metrics) on a free
    port: it takes 8787 by default, which another cluster on the machine may hold.
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as local,
        distributed.Client(local) as client,
    ):
        yield local, client


def test_dask_gives_the_whole_result(case, cluster) -> None:
    name, rivers, units, whole = case
    _, client = cluster
    assert_same(whole, scale.assign(rivers, units, tiles=TINY[name], scheduler=client))


def test_dask_by_address_reads_and_writes_files(city_files, cluster, tmp_path) -> None:
    r, u, whole = city_files
    local, _ = cluster
    out = scale.assign_to_parquet(
        r,
        u,
        tmp_path / "out.parquet",
        levels=CITY_LEVELS,
        tiles=3_000,
        scheduler=local.scheduler_address,
    )
    assert_same(whole, rm.read_responsibility(out))


def test_dask_workers_in_other_folders_find_relative_paths(
    city_files, cluster, tmp_path, monkeypatch
) -> None:
    """Files named relative to this process's folder: the workers started in another."""
    r, u, whole = city_files
    local, _ = cluster
    (tmp_path / "in").mkdir()
    for path in (r, u):
        (tmp_path / "in" / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(tmp_path)
    out = scale.assign_to_parquet(
        f"in/{r.name}",
        f"in/{u.name}",
        "out.parquet",
        levels=CITY_LEVELS,
        tiles=3_000,
        scheduler=local.scheduler_address,
    )
    assert not out.is_absolute()  # the path as given
    assert_same(whole, rm.read_responsibility(tmp_path / "out.parquet"))


def test_parts_written_where_this_machine_does_not_see_them_fail_the_run(
    city_files, tmp_path, monkeypatch
) -> None:
    """A worker on a disk of its own writes its part there: the folder would lack reaches."""
    r, u, _ = city_files
    elsewhere = tmp_path / "the-workers-disk"
    elsewhere.mkdir()
    write = scale._write_part

    def write_elsewhere(ctx, crs, done, levels, labels, path):
        lost = path.name == "part-00001.parquet"
        write(ctx, crs, done, levels, labels, elsewhere / path.name if lost else path)

    monkeypatch.setattr(scale, "_write_part", write_elsewhere)
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError, match=r"1 of \d+ tiles' reaches are not here whole") as err:
        scale.assign_to_parquet(r, u, out, levels=CITY_LEVELS, tiles=3_000, workers=1)
    assert "part-00001.parquet" in str(err.value)
    assert "shared file system" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["the-workers-disk"]  # nothing left


def test_rivers_a_worker_cannot_read_are_named(city_files, tmp_path, monkeypatch, capsys) -> None:
    """A worker that does not see the file: not a file that changed."""
    r, u, _ = city_files
    read = _scale_io.ParquetRows.__call__

    def not_here(self, threads=1):
        gone = self.path.with_name("not-on-this-worker.parquet")
        return read(dataclasses.replace(self, path=gone), threads)

    monkeypatch.setattr(_scale_io.ParquetRows, "__call__", not_here)
    with pytest.raises(DataError, match=r"could not read its rivers.*No such file") as err:
        scale.assign_to_parquet(r, u, tmp_path / "out.parquet", levels=CITY_LEVELS, workers=1)
    assert str(err.value).startswith(f"{r}: tile ")
    argv = ["assign", str(r), str(u), "--levels", ",".join(CITY_LEVELS), "-o"]
    assert main([*argv, str(tmp_path / "cli.parquet"), "--lang", "en"]) == 2
    assert "shared file system" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_dask_without_an_output_folder_reads_the_file_as_it_is(
    cluster, tmp_path, monkeypatch
) -> None:
    """Routing would write into this machine's temporary folder, which workers elsewhere lack."""
    rivers, units = load("city")
    one = tmp_path / "one_group.parquet"  # on threads, every tile would read it all: routed
    rivers.to_parquet(one)
    _, client = cluster
    routed = []
    route = scale.route
    monkeypatch.setattr(scale, "route", lambda *a: routed.append(1) or route(*a))
    assert_same(rm.assign(rivers, units), scale.assign(one, units, tiles=3_000, scheduler=client))
    assert not routed
    scale.assign(one, units, tiles=3_000)
    assert routed  # on threads it is consulted (and routes this file)


def test_workers_running_other_rivermap_code_are_refused(city_files, cluster, monkeypatch) -> None:
    """The client patched, its workers not: their tiles would not be the client's engine."""
    from rivermap import _version

    r, u, _ = city_files
    local, client = cluster
    monkeypatch.setattr(_version, "code_digest", lambda: "0123456789abcdef")
    with pytest.raises(ParameterError, match="install the same rivermap") as err:
        scale.assign(r, u, levels=CITY_LEVELS, scheduler=client)
    message = str(err.value)
    assert "(sources 0123456789abcdef)" in message  # this machine's
    assert all(address in message for address in local.scheduler_info["workers"])


def test_a_tile_size_that_makes_too_many_tiles_is_warned_of(monkeypatch) -> None:
    rivers, units = load("city")
    monkeypatch.setattr(scale, "_MANY_TILES", 20)
    with pytest.warns(
        rm.RivermapWarning, match=r"tiles=150 cuts .* into [\d,]+ tiles .*'auto' would make \d"
    ):
        tiled = scale.assign(rivers, units, tiles=150, workers=1)
    assert_same(rm.assign(rivers, units), tiled)
