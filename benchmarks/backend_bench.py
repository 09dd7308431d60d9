"""Benchmark of the storage backends (issue 6, item 3): the embedded DuckDB file against PostgreSQL through
DuckDB's postgres extension (the chosen mechanism), with the alternatives it was chosen over.

    .venv/bin/python benchmarks/backend_bench.py               # sample organisation + 5 000 synthetic units
    .venv/bin/python benchmarks/backend_bench.py --units 50000 # national scale on PostgreSQL too (slow copy)
    .venv/bin/python benchmarks/backend_bench.py --pg-url postgresql://u@host/db   # an existing server

A throw-away PostgreSQL server (Debian's binaries, tests/pg_server.py) is started unless --pg-url is given.

1. The sample organisation (220 real workbooks): the whole load through the real loader, then
   metrics.engine.compute for the root and one unit, on each backend.
2. A synthetic organisation (benchmarks/metrics_bench.py's builder) copied into PostgreSQL: the same calls.
3. The alternatives, measured where they can run:
   - a query layer that sends SQL to PostgreSQL itself (as ibis or hand-written PostgreSQL SQL would): one
     representative indicator (regular-meeting attendance of the current reports of a year) run natively
     in PostgreSQL, against the same figure through the extension and in the DuckDB file;
   - DuckLake with a PostgreSQL catalog (needs `pip install duckdb-extension-ducklake==1.5.5`): whether the
     schema of core/storage.py can be created on it at all.
Results go to benchmarks/results/backends.md with the hardware and the load average.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))

import duckdb  # noqa: E402

RESULTS = ROOT_DIR / "benchmarks" / "results" / "backends.md"
YEAR = 2025

# one indicator written once per dialect: regular meetings attended / required, current reports of YEAR
ATTENDANCE_SQL = """
SELECT sum(m.attended) * 1.0 / sum(m.required) AS rate, count(*) AS meetings
FROM meetings m JOIN submissions s ON s.id = m.submission_id
WHERE s.status = 'current' AND s.year = {year} AND m.kind = 'DINH_KY'
"""


def median_time(fn, runs: int) -> tuple[float, float]:
    """(first call, median of the next `runs` calls) in seconds."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    rest = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        rest.append(time.perf_counter() - t)
    return first, statistics.median(rest)


def sample_part(pg_url: str, work: Path, runs: int) -> list[tuple]:
    """Load the sample organisation on both backends and time the loader and the engine."""
    from ops.sample import load_sample
    from core.storage import open_database
    from metrics.engine import compute

    rows = []
    for name, target in (("DuckDB file", work / "sample.duckdb"), ("PostgreSQL (extension)", pg_url)):
        os.environ["DASHBOARD_ARCHIVE"] = str(work / f"archive-{len(rows)}")
        db = open_database(target)
        t = time.perf_counter()
        summary = load_sample(db)
        load_s = time.perf_counter() - t
        root = median_time(lambda: compute(db, year=2024), runs)
        unit = median_time(lambda: compute(db, year=2024, unit="DB01"), runs)
        figures = compute(db, year=2024).to_json()["indicators"]
        rows.append((name, summary["accepted"], load_s, root, unit, figures))
        db.close()
    return rows


def synthetic_part(pg_server, n_units: int, runs: int) -> dict:
    """Build (or reuse) metrics_bench's synthetic DuckDB file, copy it into a new PostgreSQL database, time both."""
    from benchmarks.metrics_bench import ensure_built, pick_units
    from core.storage import Database, open_database
    from core.tables import DATA_TABLES
    from metrics.engine import compute

    path = Path(f"/tmp/metrics_bench_{n_units}.duckdb")  # metrics_bench's file: built once for both
    src, _, _ = ensure_built(path, n_units)
    tt, leaf = pick_units(src)
    src.close()

    url = pg_server.new_database()
    pg = Database(url)
    copy_s = {}
    con = pg._con
    con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    for table in ("units", "submissions", *DATA_TABLES):
        t = time.perf_counter()
        con.execute(f"DELETE FROM pg.{table}")
        con.execute(f"INSERT INTO pg.{table} SELECT * FROM src.{table}")
        copy_s[table] = time.perf_counter() - t
    con.execute("DETACH src")
    n_meetings = pg.query_value("SELECT count(*) FROM meetings")

    file_db = open_database(path)
    out = {"units": n_units, "meetings": n_meetings, "copy_s": copy_s, "calls": []}
    for label, kw in ((f"compute root, year {YEAR}", {}), (f"compute {leaf} (one unit), year {YEAR}", {"unit": leaf}),
                      (f"compute {tt} (intermediate committee), year {YEAR}", {"unit": tt})):
        f = median_time(lambda: compute(file_db, year=YEAR, **kw), runs)
        p = median_time(lambda: compute(pg, year=YEAR, **kw), runs)
        same = compute(file_db, year=YEAR, **kw).to_json()["indicators"] == compute(pg, year=YEAR, **kw).to_json()["indicators"]
        out["calls"].append((label, f, p, same))

    # the representative indicator in three places
    sql = ATTENDANCE_SQL.format(year=YEAR)
    import psycopg

    with psycopg.connect(url) as native:
        out["native"] = median_time(lambda: native.execute(sql).fetchall(), runs)
        native_value = native.execute(sql).fetchone()
    out["via_extension"] = median_time(lambda: pg.query_rows(sql), runs)
    out["in_file"] = median_time(lambda: file_db.query_rows(sql), runs)
    ext_value = pg.query_rows(sql)[0]
    out["indicator_same"] = abs(float(native_value[0]) - float(ext_value[0])) < 1e-9 and native_value[1] == ext_value[1]
    file_db.close()
    pg.close()
    return out


def ducklake_part(pg_server, work: Path) -> str:
    """Try to create the dashboard's schema in a DuckLake whose catalog is in PostgreSQL."""
    try:
        import duckdb_extension_ducklake  # noqa: F401
    except ImportError:
        return ("not measured: `duckdb-extension-ducklake` is not installed "
                "(`pip install duckdb-extension-ducklake==1.5.5`, then re-run)")
    from core.storage import MIGRATIONS, _extension_file

    src = Path(duckdb_extension_ducklake.__file__).parent
    found = list(src.rglob("*.duckdb_extension"))
    if not found:
        return "not measured: the package holds no extension file"
    ext = work / "ducklake.duckdb_extension"
    shutil.copyfile(found[0], ext)
    con = duckdb.connect()
    con.execute(f"LOAD '{_extension_file()}'")
    con.execute(f"LOAD '{ext}'")
    url = pg_server.new_database()
    con.execute(f"ATTACH 'ducklake:postgres:{url}' AS lake (DATA_PATH '{work / 'lake'}/')")
    con.execute("USE lake")
    done = 0
    for version in sorted(MIGRATIONS):
        for stmt in MIGRATIONS[version]:
            try:
                con.execute(stmt)
                done += 1
            except duckdb.Error as exc:
                return (f"schema fails at statement {done + 1}: `{' '.join(stmt.split())[:70]}…` → "
                        f"{str(exc).splitlines()[0]}")
    return f"all {done} schema statements ran"


def main(argv: list[str] | None = None) -> int:
    """Run the three parts and write benchmarks/results/backends.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=5000, help="synthetic grassroots units (default 5000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs after the first (default 5)")
    ap.add_argument("--pg-url", help="an existing PostgreSQL server whose role may CREATE DATABASE")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    if args.pg_url:
        os.environ["DASHBOARD_TEST_PG_URL"] = args.pg_url
    from benchmarks.metrics_bench import hardware
    from tests.pg_server import PgServer

    server = PgServer()
    work = Path(tempfile.mkdtemp(prefix="backend-bench-"))
    load_before = os.getloadavg()
    try:
        sample = sample_part(server.new_database(), work, args.runs)
        synth = synthetic_part(server, args.units, args.runs)
        lake = ducklake_part(server, work)
        pg_version = __import__("psycopg").connect(server.base_url).execute("SHOW server_version").fetchone()[0]
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    def ms(x: float) -> str:
        return f"{x * 1000:,.0f} ms".replace(",", " ")

    hw = hardware()
    lines = [f"# Storage backend benchmark — {dt.date.today().isoformat()}", "",
             "Produced by `benchmarks/backend_bench.py` (see its docstring). PostgreSQL "
             f"{pg_version} on the same machine (loopback, fsync off as in the tests), DuckDB {duckdb.__version__} "
             "with `duckdb-extension-postgres`.", "",
             "Hardware: " + ", ".join(f"{k} {v}" for k, v in hw.items()) + ". Load average (1/5/15 min) before "
             f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in load_after)}.", "",
             "## 1. Sample organisation (220 real workbooks through the real loader)", "",
             "| backend | accepted | whole load | per workbook | compute root 2024 (first / median) "
             "| compute DB01 2024 (first / median) |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, accepted, load_s, root, unit, _ in sample:
        lines.append(f"| {name} | {accepted} | {load_s:.1f} s | {ms(load_s / max(accepted, 1))} | "
                     f"{ms(root[0])} / {ms(root[1])} | {ms(unit[0])} / {ms(unit[1])} |")
    same = sample[0][5] == sample[1][5]
    lines += ["", f"Same 26 indicator figures on both backends: **{'yes' if same else 'NO'}**.",
              f"PostgreSQL ÷ DuckDB: load {sample[1][2] / sample[0][2]:.1f}×, root compute "
              f"{sample[1][3][1] / sample[0][3][1]:.1f}×, one unit {sample[1][4][1] / sample[0][4][1]:.1f}×.", "",
              f"## 2. Synthetic organisation: {synth['units']:,} units, {synth['meetings']:,} meeting rows".replace(",", " "),
              "", "Copy into PostgreSQL through the extension (COPY BINARY): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in synth["copy_s"].items()) + ".", "",
              "| call | DuckDB file (first / median) | PostgreSQL via extension (first / median) | ratio of medians | same figures |",
              "| --- | ---: | ---: | ---: | --- |"]
    for label, f, p, ok in synth["calls"]:
        lines.append(f"| {label} | {ms(f[0])} / {ms(f[1])} | {ms(p[0])} / {ms(p[1])} | {p[1] / f[1]:.1f}× | "
                     f"{'yes' if ok else 'NO'} |")
    lines += ["", "## 3. The alternatives", "",
              f"One indicator (regular-meeting attendance, current reports of {YEAR}) written in plain SQL, "
              "which is what a portable query layer (ibis, or hand-written PostgreSQL SQL) would send to the server:", "",
              "| where the query runs | first | median |", "| --- | ---: | ---: |",
              f"| DuckDB file | {ms(synth['in_file'][0])} | {ms(synth['in_file'][1])} |",
              f"| PostgreSQL, natively (portable-layer style) | {ms(synth['native'][0])} | {ms(synth['native'][1])} |",
              f"| PostgreSQL rows scanned by DuckDB (the extension, chosen) | {ms(synth['via_extension'][0])} | "
              f"{ms(synth['via_extension'][1])} |", "",
              f"Same value natively and through the extension: **{'yes' if synth['indicator_same'] else 'NO'}**.", "",
              f"DuckLake with a PostgreSQL catalog: {lake}.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
