"""Just enough PDF reading to get the text out of agora's own fpdf2 output (Type0 fonts, ToUnicode)."""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj")
_LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object's dictionary and its (inflated) stream.

    A stream is cut by its /Length, not by searching for "endstream": compressed bytes can contain
    "endobj" or "endstream" by chance, and the fingerprints and times in a record change them each run.
    """
    objects = {}
    position = 0
    while match := _OBJ.search(data, position):
        start = match.end()
        end = data.find(b"endobj", start)
        stream_at = data.find(b"stream", start)
        content = None
        if stream_at != -1 and (end == -1 or stream_at < end):
            body = data[start:stream_at]
            length = _LENGTH.search(body)
            begin = stream_at + len(b"stream")
            begin += 2 if data[begin : begin + 2] == b"\r\n" else 1
            if length:
                raw = data[begin : begin + int(length.group(1))]
            else:
                raw = data[begin : data.find(b"endstream", begin)].rstrip(b"\r\n")
            try:
                content = zlib.decompress(raw)
            except zlib.error:
                content = raw
            end = data.find(b"endobj", begin + len(raw))
        else:
            body = data[start:end]
        objects[int(match.group(1))] = (body, content)
        position = end + len(b"endobj") if end != -1 else len(data)
    return objects


def _cmap(text: bytes) -> dict[int, str]:
    table = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(start + offset)
    return table


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A PDF literal string starting after '(' at `start`; returns its bytes and the index after ')'."""
    out = bytearray()
    depth, i = 1, start
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            nxt = data[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group(0)  # type: ignore[union-attr]
                out.append(int(digits, 8))
                i += 1 + len(digits)
            elif nxt in (0x0A, 0x0D):
                i += 2
            else:
                out.append(nxt)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    raise ValueError("unterminated string")


def extract_text(data: bytes) -> str:
    objects = _objects(data)
    fonts: dict[bytes, dict[int, str]] = {}
    for body, _content in objects.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font_body = objects.get(int(ref), (b"", None))[0]
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_body)
            if to_unicode:
                fonts[name] = _cmap(objects[int(to_unicode.group(1))][1] or b"")
    pieces: list[str] = []
    for _body, content in objects.values():
        if not content or b" Tj" not in content:
            continue
        font: dict[int, str] = {}
        saved: list[dict[int, str]] = []  # q/Q save and restore the graphics state, the font with it
        i = 0
        while i < len(content):
            if (
                content[i] in b"qQ"
                and (i == 0 or content[i - 1] in b" \n")
                and content[i + 1 : i + 2] in b" \n"
            ):
                if content[i] == ord("q"):
                    saved.append(font)
                elif saved:
                    font = saved.pop()
                i += 1
                continue
            tf = re.compile(rb"/(F\d+) [\d.]+ Tf").match(content, i)
            if tf:
                font = fonts.get(tf.group(1), {})
                i = tf.end()
                continue
            if content[i] == 0x28:
                raw, i = _literal(content, i + 1)
                codes = [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw) - 1, 2)]
                pieces.append("".join(font.get(code, "?") for code in codes))
                continue
            if content[i : i + 2] == b"ET":
                pieces.append("\n")
            i += 1
    return "".join(pieces)
