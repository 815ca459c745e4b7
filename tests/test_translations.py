"""Chinese first, English complete: every message the code or a template uses has a translation."""

from __future__ import annotations

from agora.i18n import _catalog, gettext, use_locale
from agora.i18n_catalog import missing_translations, used_message_ids


def test_every_message_has_a_chinese_translation() -> None:
    missing = missing_translations("zh_CN")
    assert not missing, "untranslated (run `python -m agora.i18n_catalog`):\n" + "\n".join(
        f"{where}: {msgid}" for msgid, where in sorted(missing.items(), key=lambda item: item[1])
    )


def test_translations_keep_their_placeholders() -> None:
    """A translation that drops or renames `{n}` would crash or mislead at run time."""
    import re

    table = _catalog("zh_CN")
    bad = []
    for msgid in used_message_ids():
        if msgid in table:
            wanted = set(re.findall(r"\{(\w+)\}", msgid))
            got = set(re.findall(r"\{(\w+)\}", table[msgid]))
            if wanted != got:
                bad.append(f"{msgid!r} -> {table[msgid]!r}")
    assert not bad, "\n".join(bad)


def test_english_is_the_message_id_and_chinese_is_the_default() -> None:
    with use_locale("en"):
        assert gettext("Sign in") == "Sign in"
    with use_locale("zh_CN"):
        assert gettext("Sign in") == "登录"
