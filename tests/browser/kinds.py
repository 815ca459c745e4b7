"""Every kind of page each role reaches in the seeded world (tests/browser/world.py): the budget and
the per-role walks visit the same list."""

from __future__ import annotations

from tests.browser.world import HALL, World


def page_kinds(world: World) -> dict[str, list[str]]:
    """Who sees which page: every kind of page a member, a canvasser and the committee reach."""
    ids, lamp = world.ids, world.concerns["lamp"]
    return {
        "owner1": [
            "/halls",
            f"/halls/{HALL}",
            f"/halls/{HALL}/proposals",
            f"/halls/{HALL}/proposals/new",
            f"/proposals/{ids['draft']}",
            f"/proposals/{ids['talk']}",
            f"/proposals/{ids['vote']}",
            f"/proposals/{ids['vote']}/vote",
            f"/proposals/{ids['vote']}/result",
            f"/proposals/{ids['done']}/result",
            f"/proposals/{ids['done']}/resolution",
            f"/halls/{HALL}/resolutions",
            f"/halls/{HALL}/concerns",
            f"/halls/{HALL}/concerns/new",
            f"/halls/{HALL}/governance",
            f"/concerns/{lamp}",
            f"/halls/{HALL}/search?q=%E7%94%B5%E6%A2%AF",
            f"/proposals/{ids['vote']}/share",
            "/notifications",
            "/settings/notifications",
            "/settings/password",
            f"/proposals/{ids['shop']}/consents",  # the owner's own consent question (art. 279)
        ],
        "canvasser": [
            f"/proposals/{ids['vote']}/paper",
            f"/proposals/{ids['vote']}/paper?q=1",
            f"/proposals/{ids['shop']}/consents",  # entering an owner's consent with a witness
        ],
        "committee": [
            f"/halls/{HALL}/roll",
            f"/halls/{HALL}/invites",
            f"/halls/{HALL}/members",
            f"/halls/{HALL}/rules",
            f"/halls/{HALL}/dashboard",
            f"/halls/{HALL}/password-resets",
            f"/proposals/{ids['shop']}/consents",  # who consented, refused, has not answered
        ],
        "party": [f"/halls/{HALL}/moderation", f"/halls/{HALL}/moderation/log"],
    }
