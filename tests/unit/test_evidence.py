"""Which evidence files intake takes: PDF, JPEG and PNG by their bytes, up to the size limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.evidence import EvidenceRefused, check, evidence_file, media_type_of, safe_name

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.mark.parametrize(("content", "media_type"), [
    (PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")])
def test_pdf_jpeg_and_png_are_known_by_their_first_bytes(content: bytes, media_type: str) -> None:
    assert media_type_of(content) == media_type and check(content, 1024) == media_type


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    b"GIF89a", b"MZ\x90\x00", b"PK\x03\x04 a zip or an office file", b" %PDF-1.7 shifted by one"])
def test_anything_else_is_refused_whatever_it_is_called(content: bytes) -> None:
    with pytest.raises(EvidenceRefused) as refused:
        evidence_file("e1", "LD-1", datetime.now(UTC), content, "photo.jpg", 1024)
    assert refused.value.code == "unsupported_type"


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_taken() -> None:
    at_limit = PNG + b"\x00" * (100 - len(PNG))
    assert check(at_limit, 100) == "image/png"
    with pytest.raises(EvidenceRefused) as refused:
        check(at_limit + b"\x00", 100)
    assert refused.value.code == "too_large"


def test_an_empty_file_and_one_file_too_many_are_refused() -> None:
    with pytest.raises(EvidenceRefused, match="empty"):
        check(b"", 100)
    with pytest.raises(EvidenceRefused) as refused:
        check(PDF, 1024, files_already=3, files_per_case=3)
    assert refused.value.code == "too_many_files"


@pytest.mark.parametrize(("name", "media_type", "safe"), [
    ("工资条 12月.png", "image/png", "工资条_12月.png"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ('x"; filename="evil.html', "image/jpeg", "x_filename_evil.jpg"),
    ("page.html", "application/pdf", "page.pdf"),
    (None, "image/png", "evidence.png"), ("....", "image/png", "evidence.png")])
def test_the_download_name_is_no_path_and_ends_as_its_type(name: str | None, media_type: str,
                                                          safe: str) -> None:
    assert safe_name(name, media_type) == safe


def test_a_taken_file_carries_its_size_and_digest() -> None:
    item = evidence_file("e1", "LD-1", datetime.now(UTC), PDF, "contract.pdf", 1024)
    assert (item.media_type, item.size_bytes, item.name) == ("application/pdf", len(PDF), "contract.pdf")
    assert len(item.sha256) == 64
