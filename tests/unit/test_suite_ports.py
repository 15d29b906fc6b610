"""``smartcity up`` knows, and prints, every port it hands out."""

import socket
from pathlib import Path

from smartcity.ports import free_port, port_free
from smartcity.suite import Suite


def test_metrics_port_zero_is_resolved_to_a_real_free_port(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("METRICS_PORT", "0")
    for name in ("gateway", "platform", "credit"):
        monkeypatch.delenv(f"{name.upper()}_METRICS_PORT", raising=False)
    ports = Suite(tmp_path, processes=("credit", "platform", "gateway")).metrics_ports
    assert set(ports) == {"credit", "gateway", "platform"}
    assert all(isinstance(port, int) and port > 0 for port in ports.values())
    assert len(set(ports.values())) == 3


def test_metrics_off_stays_off(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CREDIT_METRICS_PORT", "off")
    assert Suite(tmp_path, processes=("credit",)).metrics_ports == {"credit": None}


def test_a_port_a_socket_listens_on_is_not_free_even_for_reuseport_listeners():
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as eventlet listens
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        assert not port_free(listener.getsockname()[1])


def test_a_port_left_with_connections_in_time_wait_is_free_for_a_restart():
    """A gateway that stopped after serving leaves its connections in TIME_WAIT; its restart
    by ``smartcity up`` must not be refused."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server closes first: its side goes to TIME_WAIT
        client.close()
    assert port_free(port)


def test_free_ports_are_never_handed_out_twice():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port_free(port) for port in ports)


def test_free_ports_are_drawn_below_the_ephemeral_range():
    """Outgoing connections take their local ports from the ephemeral range: a port handed out
    there could be a connection's before its server binds it."""
    ephemeral_from = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert all(20000 <= free_port() < ephemeral_from for _ in range(50))
    assert 25000 <= free_port(range(25000, 25100)) < 25100
