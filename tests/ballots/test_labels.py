"""Threshold tests in words (art. 278's 三分之二以上, 四分之三以上, 过半数), in both languages."""

from __future__ import annotations

import pytest

from agora.ballots.labels import test_sentence as sentence
from agora.i18n import use_locale

CASES = [
    ({"name": "quorum_persons", "value": "634/950", "required": ">= 2/3", "met": True},
     "参与人数 634/950，达到三分之二以上", "Persons who took part 634/950, two thirds or more"),
    ({"name": "quorum_persons", "value": "616/950", "required": ">= 2/3", "met": False},
     "参与人数 616/950，未达到三分之二", "Persons who took part 616/950, less than two thirds"),
    ({"name": "quorum_area", "value": "85000.00/127378.00", "required": ">= 2/3", "met": True},
     "参与面积 85000.00/127378.00 平方米，达到三分之二以上",
     "Area that took part 85000.00/127378.00 m², two thirds or more"),
    ({"name": "approval_persons", "value": "480/634", "required": ">= 3/4", "met": True},
     "同意人数（占参与人数） 480/634，达到四分之三以上",
     "Persons voting yes, of those who took part 480/634, three quarters or more"),
    ({"name": "approval_area", "value": "100.00/300.00", "required": ">= 3/4", "met": False},
     "同意面积（占参与面积） 100.00/300.00 平方米，未达到四分之三",
     "Area voting yes, of the area that took part 100.00/300.00 m², less than three quarters"),
    ({"name": "approval_persons", "value": "317/634", "required": "> 1/2", "met": False},
     "同意人数（占参与人数） 317/634，未过半数",
     "Persons voting yes, of those who took part 317/634, not more than half"),
    ({"name": "approval_persons", "value": "318/634", "required": "> 1/2", "met": True},
     "同意人数（占参与人数） 318/634，已过半数",
     "Persons voting yes, of those who took part 318/634, more than half"),
    ({"name": "quorum_persons", "value": "3/?", "required": ">= 2/3", "met": None},
     "参与人数 3/?，无法判断", "Persons who took part 3/?, cannot be determined"),
]  # fmt: skip


@pytest.mark.parametrize(("test", "zh", "en"), CASES)
def test_each_threshold_reads_as_a_sentence(test: dict, zh: str, en: str) -> None:
    with use_locale("zh_CN"):
        assert sentence(test) == zh
    with use_locale("en"):
        assert sentence(test) == en


def test_an_unknown_bound_is_shown_as_it_is_not_guessed() -> None:
    with use_locale("en"):
        text = sentence({"name": "quorum_persons", "value": "1/2", "required": ">= 4/5", "met": True})
    assert text == "Persons who took part 1/2 (>= 4/5)"
