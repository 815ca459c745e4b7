"""One name per role, matter and document (docs/domain.md, "Words in the interface").

Every catalogue is read as agora reads it (`agora/locale/<locale>/LC_MESSAGES/*.po`, no compile
step). A Chinese translation must not call a thing by a variant the glossary rules out, and an
English message id must not either — features written by different people drift apart otherwise
(业主委员会 here, 业委会 there; 决议公告 on one page, 表决结果公告 on the next).
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from agora.i18n import LOCALE_DIR

# (forbidden pattern, the glossary's name). Patterns are regular expressions so that a variant
# inside the preferred name (党支部 in 小区党支部, 决议 in 表决议题) is not taken for the variant.
CHINESE: tuple[tuple[str, str], ...] = (
    (r"版主", "主持人 (moderator)"),
    (r"业主委员会", "业委会 (owners' committee)"),
    (r"居民委员会", "居委会 (residents' committee)"),
    (r"(?<!小区)党支部", "小区党支部 (Party branch)"),
    (r"提案", "议题 (proposal)"),
    (r"决议公告|决议记录|(?<!表)决议(?!题)", "表决结果公告 (resolution record)"),
    (r"投票期|投票前|投票进度", "表决 (vote): 表决期, 表决前"),
    (r"赞成", "同意 (yes)"),
    (r"收据|回单", "回执 (receipt)"),
    (r"投诉", "诉求 (concern)"),
    (r"(?<![微小])心愿", "微心愿 (wish)"),
    (r"实施", "落实 (implementation)"),
    (r"讨论区|大厅|房间", "议事厅 (hall)"),
)

ENGLISH: tuple[tuple[str, str], ...] = (
    (r"(?i)\bgrid workers?\b", "canvasser"),
    (r"(?i)\bowners committee\b|\bhomeowners'? (association|committee)\b", "owners' committee"),
    (r"(?i)\bparty committee\b", "Party branch"),
    (r"(?i)\bresolution (notice|announcement)s?\b|\bdecision records?\b", "resolution record"),
    (r"(?i)\bcomplaints?\b", "concern"),
    (r"(?i)\badmins?\b(?!istrat)", "administrator"),
    (
        r"(?i)(?<!owners' )(?<!residents' )\bthe committee\b|\(committee\)",
        "owners' committee (there are two committees)",
    ),
)

# The statute's own words, quoted as the item's title (Civil Code art. 278, item 3): the law says
# 业主委员会, and a quotation is not the interface naming the role.
# So is the title of the Organic Law of Urban Residents' Committees (《城市居民委员会组织法》), cited by
# the residents' meeting (agora.proposals.meeting).
QUOTED_LAW = {
    "3. Electing or replacing the owners' committee",
    "Residents' meeting (Organic Law of Urban Residents' Committees, art. 9)",
    "Organic Law of Urban Residents' Committees, art. 9",
    "A residents' meeting decides with more than half of the residents attending and more than half of"
    " those present in favour (Organic Law of Urban Residents' Committees, art. 9). It is not an owners'"
    " vote: every resident on the roll, tenants too, has one vote, whatever they own.",
}


def _messages(directory: Path = LOCALE_DIR / "zh_CN" / "LC_MESSAGES") -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(directory.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="zh_CN"):
                if message.id and isinstance(message.id, str):
                    found.append((path.name, message.id, message.string or ""))
    return found


def glossary_violations(directory: Path = LOCALE_DIR / "zh_CN" / "LC_MESSAGES") -> list[str]:
    bad = []
    for name, msgid, msgstr in _messages(directory):
        for pattern, preferred in ENGLISH:
            if hit := re.search(pattern, msgid):
                bad.append(f"{name}: msgid {msgid!r} says {hit.group(0)!r}; the glossary says {preferred}")
        if msgid in QUOTED_LAW:
            continue
        for pattern, preferred in CHINESE:
            if hit := re.search(pattern, msgstr):
                bad.append(
                    f"{name}: {msgid!r} -> {msgstr!r} says {hit.group(0)!r}; the glossary says {preferred}"
                )
    return bad


def test_catalogues_use_the_glossary_names() -> None:
    bad = glossary_violations()
    assert not bad, "\n".join(bad)


def test_the_check_catches_a_variant(tmp_path: Path) -> None:
    """The check must be able to fail: a catalogue naming the committee two ways is caught."""
    (tmp_path / "sample.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Only the owners\' committee certifies resolution records."\n'
        'msgstr "只有业主委员会可以确认决议公告。"\n\n'
        'msgid "moderator (Party branch)"\nmsgstr "版主（党支部）"\n\n'
        'msgid "Ask the grid worker"\nmsgstr "请联系网格员"\n\n'
        'msgid "Ask the committee for a new one."\nmsgstr "请向业委会索取。"\n\n'
        'msgid "Only the Party branch answers."\nmsgstr "只有小区党支部可以答复，见表决议题。"\n',
        encoding="utf-8",
    )
    found = "\n".join(glossary_violations(tmp_path))
    for variant in ("业主委员会", "决议公告", "版主", "'党支部'", "grid worker", "Ask the committee"):
        assert variant in found, (variant, found)
    assert "小区党支部可以答复" not in found  # the preferred names themselves pass
