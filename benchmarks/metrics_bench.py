"""Benchmark of the metrics engine on a large synthetic organisation built directly in DuckDB.

    .venv/bin/python benchmarks/metrics_bench.py                 # 5 000 units (the default)
    .venv/bin/python benchmarks/metrics_bench.py --units 50000   # national scale
    .venv/bin/python benchmarks/metrics_bench.py --db /tmp/x.duckdb --runs 7 --rebuild --no-write

The database (default /tmp/metrics_bench_<units>.duckdb) uses the schema of core/storage.py and is
filled with set-based SQL (no workbooks, no loader): a unit list with intermediate committees (half the
grassroots units Đảng bộ cơ sở with 3–19 cells, half Chi bộ cơ sở: ~6 cells per unit, 300 000 at 50 000
units), five years (2021–2025) of quarterly and annual submissions (5 % missing, 3 % resubmitted: a
replaced version kept; ids in upload order and every table's rows stored in that order, as the loader
writes them), 17 data elements per submission, the cells of every submission (ratings in annual reports),
a regular meeting per cell per month (97 %) and a thematic one in a quarter (25 %) — ~18 million meeting
rows at 50 000 units —, ~1 million petitions and ~100 000 trainees. Pseudo-random values
come from hash() of the row keys, so the data is identical on every run and thread count. An existing
file built for the same unit count is reused unless --rebuild.

It then times metrics.engine.compute for the root (full year 2025, activities included), with
activities_by_period, for a quarter window, an intermediate committee and one grassroots unit, and
compute_by_unit for the root: the first (cold) run apart, then the median of --runs further runs, with the
load average. Then, in a fresh process, the overview page rendered by AppTest (first render with empty
caches, a warm rerun, a render after a committed write). Each target of issue 6 is judged met or missed by
how much. The table and the hardware (nproc, CPU model, RAM) are printed and written to
benchmarks/results/metrics.md (one section per unit count; other sections are kept).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))

import duckdb  # noqa: E402

from core.config import load_config  # noqa: E402
from core.storage import open_database  # noqa: E402
from loaders.elements import DATA_ELEMENTS  # noqa: E402

YEARS = (2021, 2022, 2023, 2024, 2025)
BENCH_YEAR = 2025
AS_OF = dt.date(2026, 6, 30)
RESULTS = ROOT_DIR / "benchmarks" / "results" / "metrics.md"


def rnd(*keys: str) -> str:
    """SQL for a deterministic pseudo-random integer 0…999 999 from row keys (thread-independent)."""
    return f"(hash({', '.join(keys)}) % 1000000)::INTEGER"


def build(con: duckdb.DuckDBPyConnection, n_units: int, root: str) -> dict[str, float]:
    """Fill an empty schema-v1 database with the synthetic organisation; seconds per step."""
    n_tt = max(2, n_units // 50)
    steps: dict[str, float] = {}

    def step(name: str, sql: str) -> None:
        t = time.perf_counter()
        con.execute(sql)
        steps[name] = time.perf_counter() - t

    elems = ", ".join(f"({i}, '{e.code}', '{e.type}')" for i, e in enumerate(DATA_ELEMENTS))
    years = ", ".join(f"({y})" for y in YEARS)
    step("units", f"""
        INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at)
        SELECT 'TT' || lpad(i::VARCHAR, 5, '0'), 'Đảng bộ cấp trên ' || i, 'DBCT',
               CASE WHEN i > {n_tt} / 2 THEN 'TT' || lpad((i - {n_tt} // 2)::VARCHAR, 5, '0') ELSE '{root}' END,
               NULL, 'unit_list', TIMESTAMP '2021-01-01'
        FROM range(1, {n_tt} + 1) t(i);
        INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at)
        SELECT 'U' || lpad(i::VARCHAR, 6, '0'), 'Đơn vị ' || i,
               CASE WHEN i % 2 = 0 THEN 'DBCS' ELSE 'CBCS' END,
               CASE WHEN i % 10 < 3 THEN 'TT' || lpad((1 + i % {n_tt})::VARCHAR, 5, '0') ELSE '{root}' END,
               CASE WHEN i % 50 = 0 THEN 2024 END, 'unit_list', TIMESTAMP '2021-01-01'
        FROM range(1, {n_units} + 1) t(i);
        CREATE TEMP TABLE ucell AS
        SELECT u.code AS unit_code,
               CASE WHEN u.kind = 'CBCS' THEN u.code ELSE u.code || '-' || lpad(j::VARCHAR, 2, '0') END AS cell_code,
               CASE WHEN u.kind = 'CBCS' THEN 'CBCS' ELSE 'CBTT' END AS cell_kind,
               5 + {rnd("u.code", "j", "'m'")} % 20 AS members
        FROM units u, range(1, 20) r(j)
        WHERE u.kind IN ('DBCS', 'CBCS')
          AND j <= CASE WHEN u.kind = 'CBCS' THEN 1 ELSE 3 + {rnd("u.code", "'nc'")} % 17 END;
    """)
    # Every expected (unit, year, period) minus ~5 %; ~3 % resubmitted (version 1 replaced by version 2).
    step("submissions", f"""
        CREATE TEMP TABLE psub AS
        SELECT u.code AS unit_code, y AS year, p AS period,
               (CASE p WHEN 'Q1' THEN DATE '2000-03-31' WHEN 'Q2' THEN DATE '2000-06-30'
                      WHEN 'Q3' THEN DATE '2000-09-30' ELSE DATE '2000-12-31' END
                 + INTERVAL (y - 2000) YEAR)::DATE AS pend,
               {rnd("u.code", "y", "p", "'v'")} % 100 < 3 AS resubmitted
        FROM units u, (VALUES {years}) yy(y), (VALUES ('Q1'), ('Q2'), ('Q3'), ('Q4'), ('Y')) pp(p)
        WHERE u.kind IN ('DBCS', 'CBCS') AND (u.inactive_from IS NULL OR u.inactive_from > y)
          AND {rnd("u.code", "y", "p", "'s'")} % 100 >= 5;
        -- ids in upload order, as the loader's sequence gives them; a resubmission comes 1–20 days later
        CREATE TEMP TABLE sub AS
        SELECT row_number() OVER (ORDER BY received_at, unit_code, year, period, v) AS id, * FROM (
            SELECT *, 2 AS v, CASE WHEN resubmitted THEN first_at
                   + INTERVAL (1 + {rnd("unit_code", "year", "period", "'r2'")} % 20) DAY ELSE first_at END AS received_at
            FROM (SELECT *, (pend + INTERVAL (1 + {rnd("unit_code", "year", "period", "'r'")} % 25) DAY
                             + INTERVAL (8 * 3600 + {rnd("unit_code", "year", "period", "'t'")} % 36000) SECOND
                            )::TIMESTAMP AS first_at FROM psub)
            UNION ALL
            SELECT *, 1 AS v, first_at AS received_at
            FROM (SELECT *, (pend + INTERVAL (1 + {rnd("unit_code", "year", "period", "'r'")} % 25) DAY
                             + INTERVAL (8 * 3600 + {rnd("unit_code", "year", "period", "'t'")} % 36000) SECOND
                            )::TIMESTAMP AS first_at FROM psub WHERE resubmitted));
        INSERT INTO submissions (id, unit_code, year, period, version, file_name, file_hash, uploader, received_at,
                                 status, replaced_by, unit_name, unit_kind, parent_code, report_date, preparer,
                                 member_total, staff_total, warnings_json)
        SELECT s.id, s.unit_code, s.year, s.period,
               CASE WHEN s.resubmitted THEN s.v ELSE 1 END,
               s.unit_code || '_' || s.year || '_' || s.period || '.xlsx', md5(s.id::VARCHAR), 'benchmark',
               s.received_at,
               CASE WHEN s.v = 1 AND s.resubmitted THEN 'replaced' ELSE 'current' END,
               CASE WHEN s.v = 1 AND s.resubmitted THEN
                    max(s.id) FILTER (WHERE s.v = 2) OVER (PARTITION BY s.unit_code, s.year, s.period) END,
               u.name, u.kind, u.parent_code, NULL, 'Người lập', m.members, 4 * m.members, NULL
        FROM sub s JOIN units u ON u.code = s.unit_code
        JOIN (SELECT unit_code, sum(members)::INTEGER AS members FROM ucell GROUP BY ALL) m
          ON m.unit_code = s.unit_code
        ORDER BY s.id;
    """)
    step("elements", f"""
        INSERT INTO elements
        SELECT id, 3 + i, code, TRUE, v, v::VARCHAR, NULL, NULL FROM (
            SELECT s.id, e.i, e.code,
                   CASE e.type WHEN 'yesno' THEN ({rnd("s.id", "e.code")} % 10 < 8)::INTEGER::DOUBLE
                               WHEN 'money' THEN ({rnd("s.id", "e.code")} % 100000) / 10.0
                               ELSE ({rnd("s.id", "e.code")} % 20)::DOUBLE END AS v
            FROM sub s, (VALUES {elems}) e(i, code, type))
        ORDER BY 1, 2;
    """)
    step("cells", f"""
        INSERT INTO cells
        SELECT s.id, row_number() OVER (PARTITION BY s.id ORDER BY c.cell_code) + 3, c.cell_code,
               'Chi bộ ' || c.cell_code, c.cell_kind, c.members,
               CASE WHEN s.period = 'Y' THEN
                    CASE WHEN r < 25 THEN 'HTXSNV' WHEN r < 85 THEN 'HTTNV' WHEN r < 97 THEN 'HTNV' ELSE 'KHTNV' END END,
               CASE WHEN s.period = 'Y' THEN c.members * 15 // 100 END,
               CASE WHEN s.period = 'Y' THEN c.members * 70 // 100 END,
               CASE WHEN s.period = 'Y' THEN c.members * 10 // 100 END,
               CASE WHEN s.period = 'Y' THEN c.members * 2 // 100 END,
               CASE WHEN s.period = 'Y' THEN c.members * 90 // 100 END,
               {rnd("s.unit_code", "c.cell_code", "s.year", "'4t'")} % 10 < 8
        FROM sub s JOIN ucell c ON c.unit_code = s.unit_code,
             LATERAL (SELECT {rnd("c.cell_code", "s.year", "'rt'")} % 100 AS r)
        ORDER BY 1, 2;
    """)
    # A regular meeting per cell per month (97 %) and a thematic one in a quarter (25 %), in the quarter's report.
    step("meetings", f"""
        INSERT INTO meetings
        SELECT s.id, 3 + row_number() OVER (PARTITION BY s.id ORDER BY c.cell_code, d, k), c.cell_code, d, k,
               c.members, greatest(0, c.members - {rnd("c.cell_code", "d", "'a'")} % 4),
               {rnd("c.cell_code", "d", "'i'")} % 10 < 9, NULL
        FROM sub s JOIN ucell c ON c.unit_code = s.unit_code,
             LATERAL (SELECT * FROM (VALUES (0, 'DINH_KY'), (1, 'DINH_KY'), (2, 'DINH_KY'), (3, 'CHUYEN_DE')) x(mi, k)) mm,
             LATERAL (SELECT (DATE_TRUNC('quarter', s.pend) + INTERVAL (least(mm.mi, 2)) MONTH
                              + INTERVAL ({rnd("c.cell_code", "s.pend", "mm.mi")} % 27) DAY)::DATE AS d)
        WHERE s.period <> 'Y'
          AND {rnd("c.cell_code", "s.pend", "mm.mi", "'x'")} % 100 < CASE WHEN mm.k = 'DINH_KY' THEN 97 ELSE 25 END
        ORDER BY 1, 2;
    """)
    step("petitions", f"""
        INSERT INTO petitions
        SELECT s.id, 3 + k, 'ĐT-' || s.year || '-' || s.period || '-' || k, 'dt-' || s.year || '-' || lower(s.period) || '-' || k,
               rd, CASE k % 3 WHEN 0 THEN 'KHIEU_NAI' WHEN 1 THEN 'TO_CAO' ELSE 'KIEN_NGHI' END,
               {rnd("s.unit_code", "rd", "'o'")} % 100 < 5, {rnd("s.unit_code", "rd", "'c'")} % 100 < 90,
               rd + 30,
               CASE WHEN solved THEN least(rd + {rnd("s.unit_code", "rd", "'d'")} % 45, DATE '{AS_OF}') END,
               CASE WHEN solved THEN 'DA_GIAI_QUYET' ELSE 'DANG_GIAI_QUYET' END, NULL
        FROM sub s, range(0, 3) r(k),
             LATERAL (SELECT (DATE_TRUNC('quarter', s.pend) + INTERVAL ({rnd("s.unit_code", "s.pend", "k")} % 85) DAY)::DATE AS rd,
                             {rnd("s.unit_code", "s.pend", "k", "'s'")} % 100 < 85 AS solved)
        WHERE s.period <> 'Y' AND k < {rnd("s.unit_code", "s.pend", "'n'")} % 3
        ORDER BY 1, 2;
    """)
    step("trainees", f"""
        INSERT INTO trainees
        SELECT s.id, 3 + k, 'Học viên ' || s.unit_code || ' ' || k, 'hoc vien ' || lower(s.unit_code) || ' ' || k,
               DATE '1975-01-01' + ({rnd("s.unit_code", "k")} % 9000)::INTEGER, NULL,
               CASE WHEN {rnd("s.unit_code", "s.year", "k", "'l'")} % 10 < 3 THEN 'CAO_CAP'
                    WHEN {rnd("s.unit_code", "s.year", "k", "'l'")} % 10 < 8 THEN 'TRUNG_CAP' ELSE 'SO_CAP' END,
               s.year, 'TAP_TRUNG', 'Học viện Chính trị'
        FROM sub s, range(0, 4) r(k)
        WHERE s.period = 'Y' AND {rnd("s.unit_code", "s.year", "k", "'p'")} % 1000 < 105
        ORDER BY 1, 2;
    """)
    con.execute("DROP TABLE psub; DROP TABLE sub; DROP TABLE ucell")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('bench_units', ?)", [str(n_units)])
    return steps


def counts(db) -> dict[str, int]:
    """Row counts of the tables that matter."""
    out = {t: int(db.query_value(f"SELECT count(*) FROM {t}"))
           for t in ("units", "submissions", "elements", "cells", "meetings", "petitions", "trainees")}
    out["grassroots units"] = int(db.query_value("SELECT count(*) FROM units WHERE kind IN ('DBCS', 'CBCS')"))
    out["distinct cells"] = int(db.query_value(
        "SELECT count(*) FROM (SELECT DISTINCT s.unit_code, c.cell_code FROM cells c "
        "JOIN submissions s ON s.id = c.submission_id)"))
    out["current submissions"] = int(db.query_value("SELECT count(*) FROM submissions WHERE status = 'current'"))
    return out


def ensure_built(path: Path, n_units: int) -> tuple[Any, float | None, dict[str, float]]:
    """(database, build seconds, seconds per step) of the bench file, building the organisation of
    `n_units` first unless the file already holds it; RuntimeError when it holds other data."""
    db = open_database(path)
    if db.query_value("SELECT value FROM meta WHERE key = 'bench_units'") == str(n_units):
        saved = json.loads(db.query_value("SELECT value FROM meta WHERE key = 'bench_build'") or "{}")
        return db, saved.pop("total", None), saved
    if int(db.query_value("SELECT count(*) FROM submissions")):
        raise RuntimeError(f"{path} already holds other data; use --rebuild or another --db")
    t = time.perf_counter()
    with db.transaction() as cur:
        steps = build(cur, n_units, load_config().root_code)
    db.cursor().execute("CHECKPOINT")
    build_s = time.perf_counter() - t
    with db.transaction() as cur:  # kept so a later run on the same file can still report it
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('bench_build', ?)", [json.dumps({"total": build_s, **steps})])
    print(f"built {path} in {build_s:.1f} s: " + ", ".join(f"{k} {v:.1f}s" for k, v in steps.items()))
    return db, build_s, steps


def hardware() -> dict[str, str]:
    """The machine (reader_bench's description of it), plus the metrics code's commit and DuckDB version."""
    import subprocess

    from benchmarks.reader_bench import hardware as machine

    try:
        commit = subprocess.run(["git", "-C", str(ROOT_DIR), "log", "-1", "--format=%h", "--", "metrics"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {**machine(), "metrics commit": commit, "DuckDB": duckdb.__version__}


def timed(fn, runs: int) -> tuple[float, float, list[float], float]:
    """(first run, median of the next `runs` runs, those runs, median process CPU seconds of those runs).
    CPU time (all DuckDB threads) is less sensitive than wall time to other jobs on the same cores."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    rest, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        rest.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return first, statistics.median(rest), rest, statistics.median(cpu)


def pick_units(db) -> tuple[str, str]:
    """The intermediate committee with the most units below it, and one grassroots Đảng bộ cơ sở."""
    tt = db.query_value("""SELECT parent_code FROM units WHERE kind IN ('DBCS', 'CBCS') AND parent_code LIKE 'TT%'
                           GROUP BY parent_code ORDER BY count(*) DESC, parent_code LIMIT 1""")
    leaf = db.query_value("SELECT min(code) FROM units WHERE kind = 'DBCS' AND inactive_from IS NULL")
    return tt, leaf


def page_child(path: str, year: int) -> int:
    """(Child process) Render the overview page with AppTest on the bench database, signed in as the demo
    administrator: print one JSON line of seconds — imports, the first render (every cache empty), a rerun
    (caches warm), and a render after a write raised data_version (caches keyed on it, so cold again)."""
    t0 = time.perf_counter()
    os.environ["DASHBOARD_DB"] = path
    os.environ["DASHBOARD_WARM"] = "0"  # no background thread: the warm-up is timed on its own below
    from streamlit.testing.v1 import AppTest

    import plotly.graph_objects  # noqa: F401  (imported before timing: the first render should not pay them)
    from metrics import engine, export  # noqa: F401
    from ui.views import overview  # noqa: F401
    from tests.builders import sign_in
    from ui import charts, data, filters, page, sections, shell  # noqa: F401

    imports = time.perf_counter() - t0
    at = sign_in(AppTest.from_file(str(ROOT_DIR / "app.py"), default_timeout=600), path)
    at.query_params["year"] = str(year)
    out: dict[str, object] = {"imports": imports}
    t = time.perf_counter()
    at.run()
    out["first"] = time.perf_counter() - t
    out["errors"] = [str(e.value)[:300] for e in (*at.exception, *at.error)]
    out["subheaders"] = [str(e.value) for e in at.subheader][:3]
    t = time.perf_counter()
    at.run()
    out["rerun"] = time.perf_counter() - t
    db = open_database(path)
    with db.transaction() as cur:  # what an upload does to the caches: a committed write raises data_version
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('bench_touch', ?)", [str(time.time())])
    t = time.perf_counter()
    at.run()
    out["after_write"] = time.perf_counter() - t
    # what the app does after a write: ui/warm.py recomputes the default overview in the background;
    # a leadership user who opens the overview once it has finished gets the cached figures
    from ui import warm

    with db.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('bench_touch', ?)", [str(time.time())])
    t = time.perf_counter()
    warm.warm_once(db)
    out["warm_up"] = time.perf_counter() - t
    t = time.perf_counter()
    at.run()
    out["after_warm_up"] = time.perf_counter() - t
    print(json.dumps(out, ensure_ascii=False))
    return 0


def page_times(path: Path, year: int) -> dict:
    """Run page_child in a fresh process (Streamlit caches are per process) and return its figures."""
    import subprocess

    proc = subprocess.run([sys.executable, __file__, "--page-child", str(path), "--year", str(year)],
                          capture_output=True, text=True, timeout=1800, cwd=ROOT_DIR)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"page child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def write_results(n_units: int, text: str) -> None:
    """Replace (or add) this unit count's section of benchmarks/results/metrics.md, keeping the others."""
    begin, end = f"<!-- units={n_units} -->", f"<!-- /units={n_units} -->"
    head = ("# Metrics engine benchmark\n\nProduced by `benchmarks/metrics_bench.py` (see its docstring). "
            "Times are wall-clock seconds of `metrics.engine.compute` / `compute_by_unit` on a synthetic "
            "database built directly in DuckDB; \"first\" is the first call in the process, \"median\" the "
            "median of the following runs. Re-run: `.venv/bin/python benchmarks/metrics_bench.py "
            "[--units 50000]`.\n")
    old = RESULTS.read_text() if RESULTS.exists() else head
    block = f"{begin}\n{text}{end}\n"
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end) + 1:]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(new)


# (case key, target seconds, what the issue asks) — judged on the median
TARGETS = {"root": (2.0, "all 26 indicators plus activities for the root"),
           "root+acts": (2.0, "the same plus the quarterly activities (activities_by_period)"),
           "unit": (0.2, "the same for one unit"),
           "unit+acts": (0.2, "one unit plus its quarterly activities"),
           "page": (3.0, "the overview page renders (AppTest)")}


def verdict(seconds: float, target: float) -> str:
    """'met' / 'met, barely' (under 10 % headroom) / 'missed by X s (Y×)'."""
    if seconds <= target:
        return "met" if seconds <= 0.9 * target else "met, barely"
    return f"missed by {seconds - target:.2f} s ({seconds / target:.1f}× the target)"


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the synthetic database, time the engine and the overview page, print and record."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=5000, help="grassroots units (default 5000; 50000 = national)")
    ap.add_argument("--db", help="database file (default /tmp/metrics_bench_<units>.duckdb)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs after the first (default 5)")
    ap.add_argument("--rebuild", action="store_true", help="delete and rebuild the database")
    ap.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    ap.add_argument("--no-page", action="store_true", help="skip the overview page render (AppTest)")
    ap.add_argument("--page-child", metavar="DB", help=argparse.SUPPRESS)
    ap.add_argument("--year", type=int, default=BENCH_YEAR, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.page_child:
        return page_child(args.page_child, args.year)
    from metrics.engine import activities_by_period, compute, compute_by_unit

    path = Path(args.db or f"/tmp/metrics_bench_{args.units}.duckdb")
    if args.rebuild and path.exists():
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    try:
        db, build_s, steps = ensure_built(path, args.units)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    rows = counts(db)
    tt, leaf = pick_units(db)
    n_below_tt = db.query_value("""WITH RECURSIVE s(code) AS (SELECT ?::VARCHAR UNION ALL
                                   SELECT u.code FROM units u JOIN s ON u.parent_code = s.code)
                                   SELECT count(*) - 1 FROM s""", [tt])
    y, a = BENCH_YEAR, AS_OF
    cases = [
        ("root", f"compute root, year {y} (26 indicators + activities)", lambda: compute(db, year=y, as_of=a)),
        ("root+acts", f"compute + activities_by_period root, year {y}",
         lambda: (compute(db, year=y, as_of=a), activities_by_period(db, year=y, as_of=a))),
        (None, f"compute root, {y} --quarter 2", lambda: compute(db, year=y, quarter=2, as_of=a)),
        (None, f"activities_by_period root, year {y}", lambda: activities_by_period(db, year=y, as_of=a)),
        (None, f"compute {tt} ({n_below_tt} units below), year", lambda: compute(db, year=y, unit=tt, as_of=a)),
        ("unit", f"compute one unit {leaf}, year", lambda: compute(db, year=y, unit=leaf, as_of=a)),
        ("unit+acts", f"compute + activities_by_period one unit {leaf}",
         lambda: (compute(db, year=y, unit=leaf, as_of=a), activities_by_period(db, year=y, unit=leaf, as_of=a))),
        (None, f"compute_by_unit root, year {y}", lambda: compute_by_unit(db, year=y, as_of=a)),
    ]
    load_before = os.getloadavg()
    results = []
    for key, label, fn in cases:
        first, med, rest, cpu = timed(fn, args.runs)
        results.append((key, label, first, med, min(rest), max(rest), cpu, os.getloadavg()[0]))
        print(f"{label:<56} first {first:7.3f} s   median {med:7.3f} s   cpu {cpu:7.3f} s   "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    hw = hardware()
    import resource

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_after = os.getloadavg()
    db.close()  # the page child opens the file itself (one process at a time may hold a DuckDB file)
    page = None
    if not args.no_page:
        page_load = os.getloadavg()[0]
        page = page_times(path, y)
        page["load"] = (page_load + os.getloadavg()[0]) / 2
        print("overview page:", json.dumps(page, ensure_ascii=False))
    lines = [f"## {args.units:,} units".replace(",", " ") + f" — {dt.date.today().isoformat()}", "",
             f"| call | first run (s) | median of next {args.runs} (s) | min (s) | max (s) | CPU, median (s) "
             "| load (1 min) | target (on the median) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for key, label, first, med, lo, hi, cpu, load in results:
        target = f"< {TARGETS[key][0]} s: {verdict(med, TARGETS[key][0])}" if key else ""
        lines.append(f"| {label} | {first:.3f} | {med:.3f} | {lo:.3f} | {hi:.3f} | {cpu:.3f} | {load:.1f} | {target} |")
    if page is not None:
        tgt = TARGETS["page"][0]
        lines += ["", "Overview page (`pages/tong_quan.py`, AppTest of app.py signed in as the demo administrator, root, "
                  f"year {y}; a fresh process, imports done before timing; load {page['load']:.1f}):", "",
                  "| render | seconds | target |", "| --- | ---: | --- |",
                  f"| first render, every cache empty | {page['first']:.2f} | < {tgt} s: {verdict(page['first'], tgt)} |",
                  f"| rerun, caches warm | {page['rerun']:.2f} | < {tgt} s: {verdict(page['rerun'], tgt)} |",
                  f"| after a committed write (data_version raised: caches cold again) | {page['after_write']:.2f} | "
                  f"< {tgt} s: {verdict(page['after_write'], tgt)} |",
                  f"| after a committed write, once the background warm-up (`ui/warm.py`) has run | "
                  f"{page['after_warm_up']:.2f} | < {tgt} s: {verdict(page['after_warm_up'], tgt)} |",
                  f"| (that warm-up itself, in the app's background thread: the default year and its trend years) | "
                  f"{page['warm_up']:.2f} | |",
                  f"| (imports of streamlit, app and pages, not counted above) | {page['imports']:.2f} | |"]
        if page.get("errors"):
            lines += ["", "Page errors: " + "; ".join(page["errors"])]
    lines += ["", "Data (rows): " + ", ".join(f"{k} {v:,}".replace(",", " ") for k, v in rows.items())
              + f"; years {YEARS[0]}–{YEARS[-1]}, as-of {AS_OF}.",
              ("Build (set-based SQL, one transaction): "
               + (f"{build_s:.1f} s (" + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()) + ")"
                  if build_s is not None else "unknown") + f"; file {path}."),
              f"Peak RSS of the process {peak_mib:.0f} MiB. Load average (1/5/15 min) before "
              f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in load_after)}"
              " (other processes share the 2 cores: a load above 2 stretches every time; compare medians).",
              "", "Hardware: " + "; ".join(f"{k} {v}" for k, v in hw.items()) + ".", ""]
    text = "\n".join(lines)
    print()
    print(text)
    if not args.no_write:
        write_results(args.units, text)
        print(f"written to {RESULTS.relative_to(ROOT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
