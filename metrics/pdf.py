"""Office documents to PDF with Debian's headless LibreOffice (`soffice --convert-to pdf`): the one place
that runs LibreOffice, for the review report (.docx, metrics.review) and the meeting pack (.pptx,
metrics.pack).

Each conversion runs in its own temporary folder with its own LibreOffice user profile: two conversions at
once (two sessions, a page and the command line) would otherwise fight over the one profile's lock and the
second would fail or wait. The process is killed past TIMEOUT_S, and a missing or failing LibreOffice is a
Vietnamese DashboardError naming the document to download instead, never a traceback (the .docx or .pptx
itself does not need LibreOffice).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from core.errors import DashboardError

TIMEOUT_S = 180  # a first start on a busy 2-core machine builds the profile: ~10–20 s; a report: a few s
MSG_NO_OFFICE = ("Không tạo được PDF: máy chủ chưa cài LibreOffice (soffice). Hãy cài (scripts/install_office.sh) "
                 "hoặc tải bản {kind} rồi lưu thành PDF.")
MSG_FAILED = "Không tạo được PDF: LibreOffice báo lỗi ({detail}); hãy tải bản {kind}."
MSG_TIMEOUT = "Không tạo được PDF: LibreOffice không trả lời sau {s} giây; hãy tải bản {kind}."
# what the user can download instead, by the source's format
KINDS = {".docx": "Word (.docx)", ".pptx": "PowerPoint (.pptx)"}


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(data: bytes, suffix: str) -> bytes:
    """The PDF of an office document given as bytes (`suffix` '.docx' or '.pptx' names its format)."""
    kind = KINDS.get(suffix, suffix)
    exe = soffice()
    if exe is None:
        raise DashboardError(MSG_NO_OFFICE.format(kind=kind))
    with tempfile.TemporaryDirectory(prefix="dashboard-pdf-") as tmp:
        work = Path(tmp)
        source = work / f"tai-lieu{suffix}"
        source.write_bytes(data)
        profile = (work / "profile").as_uri()
        env = {**os.environ, "HOME": str(work)}  # LibreOffice writes dot-files under HOME too
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "pdf", "--outdir", str(work), str(source)]
        # its own process group: on a timeout the launcher and the soffice.bin it started go together
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise DashboardError(MSG_TIMEOUT.format(s=TIMEOUT_S, kind=kind)) from None
        target = source.with_suffix(".pdf")
        if proc.returncode != 0 or not target.is_file():
            detail = (err or out or f"mã {proc.returncode}").strip().splitlines()
            raise DashboardError(MSG_FAILED.format(detail=detail[-1][:200] if detail else proc.returncode,
                                                  kind=kind))
        return target.read_bytes()
