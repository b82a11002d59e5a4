"""Dask clusters: TLS through dask's own security configuration gives the same table as
local processes; an unreachable, foreign or mis-secured scheduler is one clear message
(exit 2, nothing written) within the connect timeout."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.experiments import executors
from lab.experiments.sweep import sweep
from tests.test_sweep import small_discount

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

GRID = {"strategies[0].depth": [0.1, 0.3]}
runner = CliRunner()


@pytest.fixture(scope="module")
def scenario() -> lab.Scenario:
    return lab.scenario_from_dict(small_discount(150, 20))


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    # a refused or silent address is given up after this long (keeps the tests quick)
    monkeypatch.setenv(executors.ENV_TIMEOUT, "2")


def self_signed(folder: Path, name: str) -> tuple[str, str]:
    """A fresh self-signed certificate and key for localhost (its own CA), made here."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make test certificates")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def client_config(cert: str, key: str) -> dict:
    return {
        "distributed.comm.tls.ca-file": cert,
        "distributed.comm.tls.client.cert": cert,
        "distributed.comm.tls.client.key": key,
    }


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """An in-process scheduler and worker that speak only TLS, with certificates made here."""
    folder = tmp_path_factory.mktemp("certs")
    cert, key = self_signed(folder, "lab")
    security = distributed.security.Security(
        tls_ca_file=cert,
        tls_scheduler_cert=cert,
        tls_scheduler_key=key,
        tls_worker_cert=cert,
        tls_worker_key=key,
        tls_client_cert=cert,
        tls_client_key=key,
        require_encryption=True,
    )
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tls://",
        security=security,
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address, cert, key


def test_a_tls_cluster_gives_the_same_table_as_local_processes(scenario, tls_cluster, tmp_path):
    address, cert, key = tls_cluster
    assert address.startswith("tls://")
    kw = dict(grid=GRID, seeds=[3, 4], progress=False)
    with dask.config.set(client_config(cert, key)):
        remote = sweep(scenario, out=tmp_path / "tls", cluster=address, **kw)
    local = sweep(scenario, out=tmp_path / "local", workers=1, **kw)
    assert remote.where.startswith(f"dask cluster {address}")
    assert remote.executed == 4
    pd.testing.assert_frame_equal(remote.table, local.table)


def test_the_cli_reaches_a_tls_cluster_with_dasks_configuration(tls_cluster, tmp_path):
    address, cert, key = tls_cluster
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    args = ["sweep", str(path), "--set", "strategies[0].depth=0.1,0.2", "--seeds", "1", "-q"]
    with dask.config.set(client_config(cert, key)):
        r = runner.invoke(app, [*args, "--cluster", address, "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert f"2 runs, 2 run now on dask cluster {address}" in " ".join(r.output.split())


def _refused(args: list[str], out: Path, needle: str) -> None:
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert text.startswith("error: --cluster") and needle in text
    assert "Traceback" not in r.output
    assert not out.exists(), "nothing is written"


@pytest.mark.parametrize(
    "case, needle",
    [
        ("no tls config", "needs dask's TLS configuration"),
        ("untrusted certificate", "cannot reach a dask scheduler there"),
        ("plain tcp to a tls port", "cannot reach a dask scheduler there"),
    ],
)
def test_a_tls_cluster_refuses_clients_without_its_certificates(
    tls_cluster, tmp_path, case, needle
):
    address = tls_cluster[0]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    args = ["sweep", str(path), "--set", "days=5", "-q"]
    config: dict = {}
    if case == "untrusted certificate":
        config = client_config(*self_signed(tmp_path, "stranger"))
    elif case == "plain tcp to a tls port":
        address = "tcp://" + address.removeprefix("tls://")
    with dask.config.set(config):
        _refused([*args, "--cluster", address], tmp_path / "o", needle)


class FakeService:
    """A TCP port that answers every connection with an HTTP error page."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    def close(self) -> None:
        self.sock.close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(
    "address, needle",
    [
        ("closed", "cannot reach a dask scheduler there"),
        ("http", "not the dask protocol"),
        ("nonsense", "missing port number"),
        ("foo://host:1", "unknown address scheme 'foo'"),
        ("", "empty scheduler address"),
    ],
)
def test_a_bad_cluster_address_is_one_message_and_exit_2(tmp_path, address, needle):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_discount(100, 10)), encoding="utf-8")
    service = FakeService() if address == "http" else None
    if service:
        address = service.address
    elif address == "closed":
        address = _closed_port()
    try:
        _refused(
            ["sweep", str(path), "--set", "days=5", "-q", "--cluster", address],
            tmp_path / "o",
            needle,
        )
    finally:
        if service:
            service.close()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_connect_timeout_is_named(monkeypatch, value):
    monkeypatch.setenv(executors.ENV_TIMEOUT, value)
    with pytest.raises(ConnectionError, match=f"{executors.ENV_TIMEOUT}="):
        executors.DaskExecutor("tcp://127.0.0.1:1")
