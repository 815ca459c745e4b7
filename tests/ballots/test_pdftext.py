"""The test suite's PDF text reader cuts streams by their /Length, so no byte of the data is taken for a
delimiter."""

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


def test_compressed_bytes_ending_in_a_carriage_return_are_kept() -> None:
    """What failed in CI: one stream in 256 ends in 0x0D; a reader that takes "\\r\\nendstream" as the end
    marker drops that byte, the stream no longer inflates, and the page reads as empty."""
    content = next(
        text
        for n in range(100_000)
        if zlib.compress(text := f"BT (record {n}) Tj ET".encode())[-1:] == b"\r"
    )
    assert _objects(_pdf(content, compress=True))[2][1] == content
