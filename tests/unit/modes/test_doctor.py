"""doctor's verdicts, each against what it claims to prove: what is a warning, what is a failure, and that an
https receiver is proven by a TLS handshake, not by a bare TCP connection."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from tests.conftest import self_signed, sim_settings
from tui_health.modes.doctor import FAIL, OK, reach, run_doctor, state_dir


async def doctor(settings, tmp_path: Path, *, send_test_alert: bool = False) -> int:
    return await run_doctor(
        settings, config_path=tmp_path / "none.toml", fmt="table", send_test_alert=send_test_alert
    )


def lines(capsys, check: str) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if f" {check}:" in line]


def hook(sim, path: str, name: str) -> dict[str, str]:
    return {"type": "webhook", "url": f"{sim.url}{path}", "name": name}


async def test_a_rate_limited_source_is_a_warning(start_sim, tmp_path, capsys):
    sim = start_sim("steady", faults=[{"kind": "rate_limit", "every": 1, "retry_after": 300}])
    assert await doctor(sim_settings(sim, tmp_path), tmp_path) == 1
    [line] = lines(capsys, "source health-api")
    assert line.startswith("!") and "429" in line


async def test_a_failure_outranks_a_warning(start_sim, tmp_path, capsys):
    sim = start_sim("steady", faults=[{"kind": "rate_limit", "every": 1, "retry_after": 300}])
    nobody = {"type": "webhook", "url": "http://127.0.0.1:9/hook", "name": "nobody"}
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": [nobody]})
    assert await doctor(settings, tmp_path) == 2  # the warning of the source does not hide the dead receiver
    out = capsys.readouterr().out
    assert "! [" in out and "✗ [" in out and out.splitlines()[-1] == "something will not work"


async def test_a_test_alert_is_ok_only_when_its_sink_took_every_message(start_sim, tmp_path, capsys):
    sim = start_sim("steady", webhook_failures=1)  # the first post (the first sink's firing alert) is refused
    sinks = [hook(sim, "/hooks/first", "first"), hook(sim, "/hooks/second", "second")]
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": sinks})
    assert await doctor(settings, tmp_path, send_test_alert=True) == 2
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if "test alert via first" in line)
    second = next(line for line in out.splitlines() if "test alert via second" in line)
    assert first.startswith("✗") and "HTTP 500, HTTP 202" in first  # its resolve arrived; its alert did not
    assert second.startswith("✓")


async def test_send_test_alert_without_sinks_warns(start_sim, tmp_path, capsys):
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path)
    assert await doctor(settings, tmp_path) == 0  # nothing asked to page: nothing to say
    assert lines(capsys, "alert sinks")[0].startswith("✓")
    assert await doctor(settings, tmp_path, send_test_alert=True) == 1  # asked to prove paging, with no sink
    assert lines(capsys, "alert sinks")[0].startswith("!")


async def test_an_https_sink_is_reached_through_a_tls_handshake(tmp_path, monkeypatch):
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    cert, key = self_signed(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    plain = await asyncio.start_server(hang_up, "127.0.0.1", 0)  # takes the connection, speaks no TLS
    tls = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=served)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the test certificate is the one trusted authority
    try:
        for server, verdict in ((plain, FAIL), (tls, OK)):
            port = server.sockets[0].getsockname()[1]
            check = await reach("t", "hook", "webhook", f"https://127.0.0.1:{port}/hook", 5.0)
            assert check.verdict == verdict, check
    finally:
        for server in (plain, tls):
            server.close()
            await server.wait_closed()


def test_an_unusable_state_directory_fails(start_sim, tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    settings = sim_settings(start_sim("steady"), tmp_path, **{"state.dir": str(taken)})
    [check] = state_dir(settings)
    assert check.verdict == FAIL and "not writable" in check.detail
