"""Two app instances on one PostgreSQL server (issue 6, item 3): two processes upload at the same time,
nothing is lost, version chains stay single across processes, and both then see all the data.

Runs in the PostgreSQL pass of scripts/test.sh (DASHBOARD_TEST_BACKEND=postgres); the DuckDB pass skips
it, because a DuckDB file has one owner process by design (tests/test_concurrency.py proves the refusal).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.storage import open_database
from tests import backends
from tests.builders import info_values, write_workbook

pytestmark = pytest.mark.skipif(not backends.POSTGRES, reason="runs in the PostgreSQL pass (two processes, one server)")

PROJECT = Path(__file__).resolve().parent.parent

# one app instance: wait for the start signal, upload its folder file by file, say so, wait for the
# other instance, then report what it sees
INSTANCE = r"""
import json, sys, time
from pathlib import Path
from core.auth import operating
from core.storage import open_database
_operator = operating()
_operator.__enter__()  # this script is the server's operator, as the command line is (kept: a dropped one resets)
from loaders.store import ingest_bytes
from metrics.engine import compute
url, folder, signals, me = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
db = open_database(url)
while not (signals / "start").exists():
    time.sleep(0.005)
statuses = [ingest_bytes(db, p.read_bytes(), p.name, uploader=me, add_units=True).status for p in sorted(folder.glob("*.xlsx"))]
(signals / f"done-{me}").touch()
while len(list(signals.glob("done-*"))) < 2:
    time.sleep(0.01)
report = compute(db, year=2024).to_json()
print(json.dumps({
    "statuses": statuses,
    "submissions": db.query_value("SELECT count(*) FROM submissions"),
    "current": db.query_value("SELECT count(*) FROM submissions WHERE status = 'current'"),
    "version": db.data_version,
    "activities": report["activities"],
    "indicators": {i["id"]: [i["value"], i["numerator"], i["denominator"]] for i in report["indicators"]},
}, default=str))
"""


def _workbooks(folder: Path, prefix: str, n_units: int, shared_versions: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n_units):
        code = f"{prefix}{i:02d}"
        write_workbook(folder / f"{code}.xlsx", info=info_values(unit=code),
                       elements={"DOI_THOAI": i + 1, "HN_NLD": 10 * (i + 1)})
    # both instances also send versions of one and the same report: the chain must not fork
    for v in range(shared_versions):
        write_workbook(folder / f"zz-shared-{prefix}{v}.xlsx", info=info_values(unit="DBCHUNG"),
                       elements={"VAN_BAN_CHI_DAO": 100 + v + (50 if prefix == "DA" else 0)})


def test_two_processes_upload_at_once_and_both_see_everything(tmp_path):
    url = backends.server().new_database()
    open_database(url).close()  # schema in place before the race (each instance would also migrate safely)
    signals = tmp_path / "signals"
    signals.mkdir()
    _workbooks(tmp_path / "a", "DA", 12, 3)
    _workbooks(tmp_path / "b", "DB", 12, 3)
    env = {**os.environ, "DASHBOARD_ARCHIVE": str(tmp_path / "shared-archive"), "PYTHONPATH": str(PROJECT)}
    procs = [subprocess.Popen([sys.executable, "-c", INSTANCE, url, str(tmp_path / name), str(signals), name],
                              cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    time.sleep(1.5)  # both processes have imported and connected by now; then they start together
    (signals / "start").touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    a, b = outs
    assert a["statuses"] == ["accepted"] * 15 and b["statuses"] == ["accepted"] * 15
    # everything stored once: 24 unit reports + 6 versions of the shared one, 25 of them current
    assert a["submissions"] == b["submissions"] == 30
    assert a["current"] == b["current"] == 25
    # both instances see the same data and compute the same figures
    assert a["indicators"] == b["indicators"] and a["activities"] == b["activities"]
    assert a["version"] == b["version"]

    db = open_database(url)
    try:
        rows = db.query_rows("SELECT id, version, status, replaced_by, uploader FROM submissions "
                             "WHERE unit_code = 'DBCHUNG' ORDER BY version")
        assert [r[1] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert [r[2] for r in rows] == ["replaced"] * 5 + ["current"]
        assert [r[3] for r in rows] == [r[0] for r in rows[1:]] + [None]  # one chain, no fork
        assert {r[4] for r in rows} == {"a", "b"}  # the two processes really interleaved on it
        assert db.query_value("SELECT count(DISTINCT id) FROM submissions") == 30
        assert db.query_value("SELECT count(*) FROM units WHERE source = 'workbook'") == 25
        # the figure the leadership sees covers both instances' uploads
        total = db.query_value("SELECT sum(e.value) FROM elements e JOIN submissions s ON s.id = e.submission_id "
                               "WHERE s.status = 'current' AND e.code = 'DOI_THOAI'")
        assert total == 2 * sum(range(1, 13))
        archived = {p.name for p in (tmp_path / "shared-archive").rglob("*.xlsx")}
        assert len(archived) == db.query_value("SELECT count(*) FROM archived_files") == 30
        # the shared journal (what `rebuild` replays) got every upload once, lines unbroken
        from core.audit import read_journal

        uploads = [e for e in read_journal(tmp_path / "shared-archive") if e.get("kind") == "upload"]
        assert len(uploads) == 30 and len({e["file_hash"] for e in uploads}) == 30
    finally:
        db.close()


# one app instance trying a password five times (what an attacker does through one of the servers)
WRONG_PASSWORDS = r"""
import sys
from core import auth
from core.errors import DashboardError
from core.storage import open_database
db = open_database(sys.argv[1])
for _ in range(auth.LOGIN_FREE_FAILURES["name"]):
    try:
        auth.authenticate(db, "lanhdao", "doan-mo")
    except DashboardError as exc:
        print(exc.message)
db.close()
"""


def test_sign_in_throttle_is_shared_by_the_instances(tmp_path):
    """Five wrong passwords through one instance: the next attempt through the other instance is throttled,
    even with the right password (the count is the audit log on the shared server, not process memory)."""
    from core import auth
    from core.errors import DashboardError

    url = backends.server().new_database()
    db = open_database(url)
    try:
        auth.ensure_demo_accounts(db)
        env = {**os.environ, "DASHBOARD_ARCHIVE": str(tmp_path / "archive"), "PYTHONPATH": str(PROJECT)}
        out = subprocess.run([sys.executable, "-c", WRONG_PASSWORDS, url], cwd=PROJECT, env=env, text=True,
                             capture_output=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == [auth.MSG_BAD_LOGIN] * auth.LOGIN_FREE_FAILURES["name"]
        with pytest.raises(DashboardError, match="Đăng nhập sai quá nhiều lần"):
            auth.authenticate(db, "lanhdao", "lanhdao")
    finally:
        db.close()
