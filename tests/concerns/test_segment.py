"""Word segmentation for search (jieba): words not substrings, weights, and the ranking's reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agora.concerns import segment


def test_chinese_is_cut_into_words() -> None:
    words = segment.words("3号楼电梯经常坏，老人上下楼很不方便")
    assert "电梯" in words and "老人" in words
    assert "，" not in words and "很" not in words  # punctuation and function words are dropped
    # A long word jieba keeps whole also gives its characters, so a search for one of them finds it.
    assert "灯" in segment.words("楼道灯不亮")
    # cut_for_search yields the words inside a compound word.
    assert {"加装", "电梯"} <= set(segment.words("加装电梯"))


def test_normalization_and_latin() -> None:
    assert segment.words("ＷｉＦｉ 信号 WIFI") == ["wifi", "信号", "wifi"]
    assert segment.query_terms("电梯 电梯 坏了") == ["电梯", "坏"]


def test_weights_prefer_longer_words_and_the_title() -> None:
    terms = segment.terms("电梯坏了", "门口的灯坏了")
    assert terms["电梯"] == 2 * segment.TITLE_FACTOR
    assert terms["坏"] == 1 * segment.TITLE_FACTOR  # the title's weight wins over the body's
    assert terms["门口"] == 2


def test_a_substring_that_is_not_a_word_does_not_match() -> None:
    """LIKE would find 梯 in 楼梯 and 电梯 alike; the index matches the words asked for."""
    doc = segment.terms("楼梯扶手松了", "")
    assert segment.score(segment.query_terms("电梯"), doc) == 0
    assert segment.score(segment.query_terms("楼梯"), doc) > 0


TEXT = st.text(alphabet="电梯坏了楼道灯不亮停车位老人门口 abcAB12，。", max_size=30)


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_score_is_the_sum_of_matched_weights(title: str, body: str, query: str) -> None:
    doc = segment.terms(title, body)
    words = segment.query_terms(query)
    brute = 0
    for word in set(words):
        weights = [
            len(w) * f
            for f, text in ((segment.TITLE_FACTOR, title), (1, body))
            for w in segment.words(text)
            if w == word
        ]
        brute += max(weights, default=0)
    assert segment.score(words, doc) == brute
    assert all(w and len(w) <= segment.MAX_TERM for w in doc)
