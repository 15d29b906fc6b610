"""``smartcity up`` knows, and prints, every port it hands out."""

from pathlib import Path

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
