"""ui/downloads.py relies on two internals of the pinned Streamlit (the memory media store's file id and
the manager's delete); these checks fail at once if an upgrade changes them. The behaviour itself (a
download's /media/ URL answers 404 after sign-out) is proved in a real browser:
tests/browser/test_security_browser.py."""
from __future__ import annotations

import pandas as pd
from streamlit.runtime.media_file_manager import MediaFileManager, MediaFileMetadata
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from metrics.export import table_csv
from ui.downloads import media_file_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_id_we_compute_is_the_one_the_store_gives():
    storage = MemoryMediaFileStorage("/media")
    for data, mime, name in ((table_csv(pd.DataFrame({"a": [1]})), "text/csv", "bang.csv"),
                             (b"PK\x03\x04" + bytes(2_000_000), XLSX, "lon.xlsx")):  # > 1 MiB: partial hash
        assert storage.load_and_get_id(data, mime, MediaFileKind.DOWNLOADABLE, name) == media_file_id(data, mime, name)


def test_the_managers_delete_takes_a_file_off_storage():
    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    file_id = media_file_id(b"abc", "text/csv", "x.csv")
    storage.load_and_get_id(b"abc", "text/csv", MediaFileKind.DOWNLOADABLE, "x.csv")
    mgr._file_metadata[file_id] = MediaFileMetadata(MediaFileKind.DOWNLOADABLE)
    with mgr._lock:
        mgr._delete_file(file_id)
    assert mgr.read_file(f"{file_id}.csv") is None and file_id not in mgr._file_metadata
