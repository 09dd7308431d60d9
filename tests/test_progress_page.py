"""Progress on the upload page (issue 6 item 1): a bar while several files are checked, each file checked
once per database state, and the progress callbacks of the page's upload functions."""
from __future__ import annotations

from tests.test_app_pages import XLSX, _bad, _good, app, org_db, org_template  # noqa: F401 - fixtures
from tests.test_app_smoke import open_page, readable, texts
from ui import state as K


def test_several_files_show_a_progress_bar_ending_with_the_count(app, tmp_path):  # noqa: F811
    at = open_page(app, "pages/nop_bao_cao.py")
    good, bad = _good(tmp_path), _bad(tmp_path)
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(
        [("DB02_2024_Q2.xlsx", good, XLSX), ("CB03_2024_Q2.xlsx", bad, XLSX), ("ghi_chu.txt", b"abc", XLSX)]).run()
    assert not at.exception
    bars = at.get("progress")
    assert len(bars) == 1
    assert bars[0].proto.value == 100 and bars[0].proto.text == "Đã kiểm tra 3/3 tệp."
    assert "**DB02_2024_Q2.xlsx** — DB02, Quý II/2024: ✓ Hợp lệ, sẵn sàng lưu" in texts(at)


def test_a_rerun_reuses_the_previews_until_the_database_changes(app, tmp_path, monkeypatch):  # noqa: F811
    """Typing the "nộp thay cho" note reruns the page: the files are not checked again (no bar, same result);
    confirming stores the valid file, which changes data_version, so nothing stale is reused."""
    import loaders.store as ingest

    calls = []
    real = ingest.preview_bytes
    monkeypatch.setattr(ingest, "preview_bytes", lambda *a, **kw: calls.append(a[2]) or real(*a, **kw))
    at = open_page(app, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(
        [("DB02_2024_Q2.xlsx", _good(tmp_path), XLSX), ("CB03_2024_Q2.xlsx", _bad(tmp_path), XLSX)]).run()
    assert calls == ["DB02_2024_Q2.xlsx", "CB03_2024_Q2.xlsx"]
    at.text_input(key=K.UP_ON_BEHALF).set_value("Lê Văn Nộp").run()
    assert not at.exception
    assert calls == ["DB02_2024_Q2.xlsx", "CB03_2024_Q2.xlsx"]  # not checked again
    assert len(at.get("progress")) == 0
    assert "**DB02_2024_Q2.xlsx** — DB02, Quý II/2024: ✓ Hợp lệ, sẵn sàng lưu" in texts(at)
    at.button(key=K.UP_CONFIRM).click().run()
    assert not at.exception
    assert any(readable(s.value).startswith("**DB02_2024_Q2.xlsx** — DB02, Quý II/2024: ✓ Đã lưu") for s in at.success)


def test_upload_functions_report_each_file_before_it_is_processed(org_db, tmp_path):  # noqa: F811
    from core.storage import open_database
    from ui.upload import preview_files, store_valid

    db = open_database(org_db)
    seen: list[tuple[int, int, str]] = []
    previews = preview_files(db, [("a.xlsx", _good(tmp_path)), ("b.xlsx", _bad(tmp_path)), ("c.txt", b"x")],
                             progress=lambda n, total, name: seen.append((n, total, name)))
    assert seen == [(1, 3, "a.xlsx"), (2, 3, "b.xlsx"), (3, 3, "c.txt")]
    stored: list[tuple[int, int, str]] = []
    results = store_valid(db, previews, "Phạm Văn Nộp", progress=lambda n, total, name: stored.append((n, total, name)))
    assert stored == [(1, 1, "a.xlsx")] and [r.status for r in results] == ["accepted"]
