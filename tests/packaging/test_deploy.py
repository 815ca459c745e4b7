"""The deployment examples in deploy/ are valid for the tools that read them.

`systemd-analyze verify` checks the unit, `nginx -t` the site (inside a minimal nginx.conf, with a
throwaway self-signed certificate); each test is skipped, saying why, where its tool is absent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    agora = Path(sys.executable).parent / "agora"
    if not agora.exists():
        pytest.skip(f"no agora command beside {sys.executable} to stand for /opt/agora/bin/agora")
    unit = (ROOT / "deploy" / "agora.service").read_text()
    assert "/opt/agora/bin/agora serve" in unit
    (tmp_path / "agora.service").write_text(unit.replace("/opt/agora/bin/agora", str(agora)))
    result = subprocess.run(
        [tool, "verify", str(tmp_path / "agora.service")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "agora.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_the_systemd_unit_keeps_configuration_mistakes_from_restarting_in_a_loop() -> None:
    from agora import startup

    unit = (ROOT / "deploy" / "agora.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("RestartPreventExitStatus="))
    codes = {int(c) for c in line.split("=", 1)[1].split()}
    assert codes == {
        startup.EXIT_NOT_MIGRATED, startup.EXIT_SETTINGS, startup.EXIT_AUTH, startup.EXIT_NO_DATABASE,
        startup.EXIT_DURABILITY, startup.EXIT_FILES,
    }


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed: the example is not syntax-checked here")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make the throwaway certificate nginx -t needs")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=agora.example.org", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/agora.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/agora.example.org/privkey.pem", str(key))
    (tmp_path / "agora.conf").write_text(site)
    temp = "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in TEMP_PATHS)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp}  include {tmp_path}/agora.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
