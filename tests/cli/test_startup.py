"""Start-up checks and configuration mistakes: one line saying the fix, a distinct exit code, no traceback.

Run as an operator runs agora: `python -m agora.cli` in a subprocess, with the environment they would set.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest

from agora import startup
from agora.cli import build_parser
from tests.cli.test_commands import make_env, run

PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL", "")


def one_line(result, code: int, *needles: str) -> str:  # type: ignore[no-untyped-def]
    """The command failed with `code` and said so in one line (nothing on stdout, no traceback)."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agora"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.parametrize("command", [["serve"], ["migrate"], ["admin", "create", "root"], ["demo"]])
@pytest.mark.parametrize(
    ("setting", "code", "needles"),
    [
        ({"AGORA_PORT": "abc"}, startup.EXIT_SETTINGS, ["AGORA_PORT=abc", "65535"]),
        ({"AGORA_DEBUG": "maybe"}, startup.EXIT_SETTINGS, ["AGORA_DEBUG=maybe"]),
        ({"AGORA_ARGON2_PROFILE": "fast"}, startup.EXIT_SETTINGS, ["AGORA_ARGON2_PROFILE=fast", "test"]),
        ({"AGORA_DATABASE_URL": "agora.sqlite3"}, startup.EXIT_SETTINGS, ["AGORA_DATABASE_URL", "sqlite://"]),
        ({"AGORA_DATABASE_URL": "mysql://db/agora"}, startup.EXIT_SETTINGS, ["mysql", "postgres://"]),
        (
            {"AGORA_DATABASE_URL": "postgres://agora@127.0.0.1:1/agora"},
            startup.EXIT_UNREACHABLE,
            ["127.0.0.1:1", "AGORA_DATABASE_URL"],
        ),
        (
            {"AGORA_DATABASE_URL": "postgres://agora@no-such-host.invalid:5432/agora"},
            startup.EXIT_UNREACHABLE,
            ["no-such-host.invalid:5432"],
        ),
    ],
)
def test_a_configuration_mistake_ends_in_one_line(
    tmp_path: Path, command: list[str], setting: dict[str, str], code: int, needles: list[str]
) -> None:
    env = {**make_env(tmp_path, AGORA_LANG="en"), **setting}
    one_line(run(command, env, stdin="a long enough password\n"), code, *needles)


def test_an_sqlite_path_into_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'nowhere' / 'a.sqlite3'}"
    env = {**make_env(tmp_path, AGORA_LANG="en"), "AGORA_DATABASE_URL": url}
    for command in (["migrate"], ["serve"], ["demo"]):
        one_line(run(command, env), startup.EXIT_UNREACHABLE, str(tmp_path / "nowhere"), "does not exist")
    assert not (tmp_path / "nowhere").exists()


def test_an_unmigrated_database_names_the_fix_for_every_command(tmp_path: Path) -> None:
    env = make_env(tmp_path, AGORA_LANG="en")
    one_line(run(["serve", "--port", "0"], env), startup.EXIT_NOT_MIGRATED, "agora migrate")
    one_line(run(["admin", "create", "root"], env, stdin="a long enough password\n"), 2, "agora migrate")
    assert run(["migrate"], env).returncode == 0
    created = run(["admin", "create", "root"], env, stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (AGORA_TEST_DATABASE_URL)")
def test_postgres_refused_login_and_missing_database_are_told_apart(tmp_path: Path) -> None:
    from urllib.parse import urlparse

    server = urlparse(PG_URL)
    where = f"{server.hostname}:{server.port or 5432}"
    env = {**make_env(tmp_path, AGORA_LANG="en"), "AGORA_DATABASE_URL": f"postgres://no_such_role_x:pw@{where}/x"}
    one_line(run(["migrate"], env), startup.EXIT_AUTH, "no_such_role_x", "user and password")
    env["AGORA_DATABASE_URL"] = f"postgres://{server.username}@{where}/no_such_database_x"
    one_line(run(["serve"], env), startup.EXIT_NO_DATABASE, "createdb no_such_database_x")


def test_a_busy_port_is_refused_with_a_free_port_to_use(tmp_path: Path) -> None:
    env = make_env(tmp_path, AGORA_LANG="en")
    assert run(["migrate"], env).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(run(["serve", "--port", str(port)], env), startup.EXIT_PORT, f"Port {port}")
        suggested = int(re.search(r"--port (\d+)", line)[1])  # type: ignore[index]
        assert suggested != port
        demo = run(["demo", "--port", str(port)], env, timeout=300)
    assert demo.returncode == startup.EXIT_PORT and "Traceback" not in demo.stderr
    assert "password for all" in demo.stdout  # the accounts first, then the one line about the port
    assert demo.stderr.strip().count("\n") == 0 and "--port" in demo.stderr


def test_the_demo_prints_its_accounts_every_time(tmp_path: Path) -> None:
    env = make_env(tmp_path, AGORA_LANG="en")
    first = run(["demo", "--no-serve"], env, timeout=300)
    second = run(["demo", "--no-serve"], env, timeout=300)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    for output in (first.stdout, second.stdout):
        assert "password for all" in output
        for login in ("admin", "committee", "party", "owner1", "riverowner"):
            assert re.search(rf"^\s+{login}\s", output, re.M), (login, output)
    assert "already seeded" in second.stdout
    users = sqlite3.connect(tmp_path / "agora.sqlite3").execute("SELECT count(*) FROM users").fetchone()[0]
    assert users > 5


def test_version(tmp_path: Path) -> None:
    from agora import __version__

    result = run(["--version"], make_env(tmp_path))
    assert result.returncode == 0 and result.stdout == f"agora {__version__}\n"


def _subparsers(parser):  # type: ignore[no-untyped-def]
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def test_every_command_and_option_has_help() -> None:
    import argparse

    parser = build_parser()
    commands = dict(_subparsers(parser))
    assert {"demo", "serve", "migrate", "admin", "admin create", "verify", "backup"} <= set(commands)
    for name, command in [("agora", parser), *commands.items()]:
        assert command.description, name
        for action in command._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, (name, action.dest)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("command", [[], ["serve"], ["admin"], ["admin", "create"], ["verify"], ["backup"]])
def test_help_is_in_one_language_at_a_time(tmp_path: Path, command: list[str]) -> None:
    english = run([*command, "--help"], make_env(tmp_path, AGORA_LANG="en"))
    assert english.returncode == 0 and "usage:" in english.stdout and not CJK.search(english.stdout)
    chinese = run([*command, "--help"], make_env(tmp_path, AGORA_LANG="zh-CN"))
    assert chinese.returncode == 0 and "用法" in chinese.stdout
    words = re.findall(r"(?<![\w$-])[a-z]{4,}(?![\w=])", chinese.stdout.split("\n", 1)[1])
    allowed = {
        "agora", "help", "host", "port", "workers", "migrate", "name", "head", "roll", "prefix", "serve",
        "demo", "admin", "create", "verify", "backup", "version", "sqlite", "postgres", "json", "proposals",
        "resolution", "auth", "token", "path", "login",
    }
    assert not set(words) - allowed, set(words) - allowed


def test_the_locale_chooses_the_language_when_agora_lang_is_unset(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    env.update(LANG="en_US.UTF-8", LC_ALL="", LC_MESSAGES="")
    assert not CJK.search(run(["--help"], env).stdout)
    env.update(LANG="zh_CN.UTF-8")
    assert "用法" in run(["--help"], env).stdout
    env["AGORA_PORT"] = "abc"
    assert "不是端口号" in run(["serve"], env).stderr


def test_a_wrong_command_is_one_usage_error(tmp_path: Path) -> None:
    result = run(["bogus"], make_env(tmp_path, AGORA_LANG="en"))
    assert result.returncode == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr


async def test_verify_names_the_token_when_the_server_answers_401(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    env = make_env(tmp_path, AGORA_LANG="en")
    url = f"{server.url}/api/v1/proposals/1/resolution"
    result = await asyncio.to_thread(run, ["verify", url], env)
    assert result.returncode == 2 and "AGORA_TOKEN" in result.stderr and "401" in result.stderr
    env["AGORA_TOKEN"] = "not-a-real-token"
    result = await asyncio.to_thread(run, ["verify", url], env)
    assert result.returncode == 2 and "expired" in result.stderr


async def test_healthz_answers_503_naming_the_failed_check(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/healthz")).json() == {"ok": True}
    from agora import resources

    monkeypatch.setattr(resources, "REQUIRED_STATIC", (*resources.REQUIRED_STATIC, "vendor/gone.js"))
    response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["failed"] == ["files"]
    assert "vendor/gone.js" in body["messages"]["files"]


async def test_healthz_answers_503_when_the_database_does_not(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tortoise import connections

    connection = connections.get("default")

    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("database went away")

    monkeypatch.setattr(connection, "execute_query", broken)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "went away" in response.json()["messages"]["database"]
