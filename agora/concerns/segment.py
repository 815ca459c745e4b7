"""Words for search in Chinese (and English): jieba's word segmentation, pure (no ORM, no web).

`terms(text)` gives each word of a text once with its weight. Chinese text has no spaces, so a
substring match either misses ("楼道灯" in "楼道的灯") or finds nonsense; jieba cuts it into words
(`cut_for_search` also yields the shorter words inside long ones: 加装电梯 → 加装, 电梯). A word jieba
keeps whole although it is three or more characters (灯不亮) also gives its single characters, so
that a search for 灯 finds it. Punctuation and the commonest function words are dropped; Latin
letters are lower-cased after NFKC (full-width ＡＢＣ is abc).

A term's weight is its length (a two-character word says more than one character), doubled for a
word of the title.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)

MAX_TERM = 32
TITLE_FACTOR = 2
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 有 我 我们 你 你们 他 她 它 也 都 就 很 吗 呢 吧 啊 呀 这 那 这个 那个 一个 "
    "个 把 被 给 让 向 从 对 而 但 还 又 要 会 能 请 希望 问题 情况 什么 怎么 如何 已经 没有 不 没 "
    "a an and are as at be by for from in is it of on or the to was were with".split()
)

_ready = threading.Lock()
_loaded = False


def _tokenizer() -> jieba.Tokenizer:
    """jieba's default tokenizer, its dictionary loaded once (about half a second)."""
    global _loaded
    if not _loaded:
        with _ready:
            if not _loaded:
                jieba.initialize()
                _loaded = True
    return jieba.dt


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _keep(word: str) -> bool:
    if not word or word in STOPWORDS or len(word) > MAX_TERM:
        return False
    return any(ch.isalnum() for ch in word)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """The searchable words of a text, in order, with repeats (a query is cut the same way)."""
    out: list[str] = []
    for raw in _tokenizer().cut_for_search(normalize(text)):
        word = raw.strip()
        if not _keep(word):
            continue
        out.append(word)
        if len(word) >= 3 and all(_is_han(ch) for ch in word):
            out.extend(ch for ch in word if ch not in STOPWORDS)
    return out


def terms(title: str, body: str = "") -> dict[str, int]:
    """Each distinct term of a document with its weight (the best of its title and body weights)."""
    weights: dict[str, int] = {}
    for factor, text in ((TITLE_FACTOR, title), (1, body)):
        for word in words(text):
            weight = len(word) * factor
            if weight > weights.get(word, 0):
                weights[word] = weight
    return weights


def query_terms(query: str) -> list[str]:
    """The distinct words of a search, in order."""
    seen: dict[str, None] = {}
    for word in words(query):
        seen.setdefault(word, None)
    return list(seen)


def score(query: Iterable[str], document: dict[str, int]) -> int:
    """The reference ranking (what the index's SQL adds up): the weights of the query's words found."""
    return sum(document.get(word, 0) for word in set(query))
