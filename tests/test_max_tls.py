"""Today's MAX: platform-api2.max.ru only, its certificate checked against the Russian Trusted Root CA the project
ships (on top of the system's store), `[max] ca_file` for another, and a certificate that cannot be checked said in
one Russian line by `setup-max` instead of a traceback."""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Config, ConfigError, MaxSection, load_config
from bot.max.api import SHIPPED_CA, MaxApi, tls_context, tls_refused

ROOT = Path(__file__).resolve().parents[1]
# as gosuslugi.ru/crt publishes it
ROOT_CA_SHA256 = "D26D2D0231B7C39F92CC738512BA54103519E4405D68B5BD703E9788CA8ECF31"


def test_the_shipped_root_is_the_ministrys() -> None:
    der = ssl.PEM_cert_to_DER_cert(SHIPPED_CA.read_text(encoding="ascii"))
    assert hashlib.sha256(der).hexdigest().upper() == ROOT_CA_SHA256
    subjects = [dict(x[0] for x in cert["subject"]) for cert in tls_context().get_ca_certs()]
    assert {"countryName": "RU", "organizationName": "The Ministry of Digital Development and Communications",
            "commonName": "Russian Trusted Root CA"} in subjects


def test_the_default_host_is_todays_and_the_retired_one_is_refused(tmp_path: Path) -> None:
    assert MaxSection().api_url == "https://platform-api2.max.ru"
    config = tmp_path / "config.toml"
    config.write_text('[max]\napi_url = "https://platform-api.max.ru"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert "platform-api2.max.ru" in str(refused.value) and "19.07.2026" in str(refused.value)
    assert Config(max=MaxSection(api_url="https://platform-api2.max.ru/")).max.api_url == "https://platform-api2.max.ru"


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate for 127.0.0.1 signed by it (openssl, as an operator's proxy would have)."""
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=Test Root")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    return ca, cert, key


async def test_max_is_trusted_through_its_ca_file_and_a_stranger_certificate_is_told(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"user_id": 1, "name": "bot", "username": "bot"})

    app = web.Application()
    app.router.add_get("/me", me)
    runner = web.AppRunner(app)
    await runner.setup()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"https://127.0.0.1:{port}"
    try:
        trusted = MaxApi("token", url, per_second=0, retries=0, ca_file=str(ca))
        try:
            assert (await trusted.request("GET", "/me"))["user_id"] == 1
        finally:
            await trusted.close()
        stranger = MaxApi("token", url, per_second=0, retries=0)  # only the shipped root and the system's
        try:
            with pytest.raises(Exception) as refused:
                await stranger.request("GET", "/me")
            assert tls_refused(refused.value), repr(refused.value)
        finally:
            await stranger.close()
        config = tmp_path / "config.toml"
        config.write_text(f'[max]\napi_url = "{url}"\n', encoding="utf-8")
        out = await asyncio.to_thread(  # the server answers on this loop meanwhile
            subprocess.run, [sys.executable, "-m", "bot", "setup-max"], cwd=tmp_path, capture_output=True, text=True,
            timeout=60, env={**os.environ, "BOT_CONFIG": str(config), "MAX_TOKEN": "t", "PYTHONPATH": str(ROOT)})
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 1 and len(lines) == 1 and "Russian Trusted Root CA" in lines[0], out.stderr
    finally:
        await runner.cleanup()
