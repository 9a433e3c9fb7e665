"""What the upload units share (datasets, files), in the kernel: an uploaded file's name
checked (domain/uploads.py), and the download's Content-Disposition
(interfaces/http/uploads.py)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.uploads import check_filename
from interfaces.http.uploads import content_disposition

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("plain.txt", "attachment; filename=\"plain.txt\"; filename*=UTF-8''plain.txt"),
        (
            'say "hi";.txt',
            "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22%3B.txt",
        ),
        ("東京.csv", "attachment; filename=\"file.csv\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.csv"),
        ("東京", "attachment; filename=\"file\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC"),
    ],
)
def test_content_disposition(name: str, header: str) -> None:
    assert content_disposition(name) == header


def test_filename_rules() -> None:
    assert check_filename("report (1).final.CSV") == "report (1).final.CSV"
    for bad in ("", " ", "a/b", "a\\b", "..", "a\tb", "a\x7fb", "\u202etxt.exe", "x" * 256):
        with pytest.raises(InvalidInput):
            check_filename(bad)
