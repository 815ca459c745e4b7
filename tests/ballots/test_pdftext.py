"""The test suite's PDF text reader cuts streams by /Length, so stray bytes cannot end an object early."""

from __future__ import annotations

import zlib

from tests.ballots.pdftext import _objects


def _pdf(stream: bytes, compress: bool) -> bytes:
    data = zlib.compress(stream) if compress else stream
    flate = b"/Filter /FlateDecode " if compress else b""
    return (
        b"%PDF-1.3\n1 0 obj\n<</Type /Catalog>>\nendobj\n"
        + b"2 0 obj\n<<" + flate + b"/Length " + str(len(data)).encode() + b">>\nstream\n"
        + data + b"\nendstream\nendobj\n3 0 obj\n<</Type /Page>>\nendobj\n"
    )  # fmt: skip


def test_a_stream_holding_endobj_and_endstream_bytes_is_read_whole() -> None:
    content = b"BT (endobj) Tj (endstream) Tj ET"
    for compress in (False, True):
        objects = _objects(_pdf(content, compress))
        assert objects[2][1] == content
        assert b"/Page" in objects[3][0] and b"/Catalog" in objects[1][0]
