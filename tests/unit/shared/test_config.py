import pytest

from shared import config


def test_database_url_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTCITY_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("CREDIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL_TEMPLATE", raising=False)
    assert config.configured_database_url("credit") is None
    with pytest.raises(config.DatabaseNotConfigured, match="smartcity run credit"):
        config.database_url("credit")

    monkeypatch.setenv("DATABASE_URL_TEMPLATE", "postgresql+psycopg2://db/{service}")
    assert config.database_url("credit") == "postgresql+psycopg2://db/credit"

    monkeypatch.setenv("CREDIT_DATABASE_URL", "postgresql+psycopg2://other/credit_x")
    assert config.database_url("credit") == "postgresql+psycopg2://other/credit_x"


def test_metrics_port_defaults_apart_and_can_be_switched_off(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    ports = {name: config.metrics_port(name) for name in config.DEFAULT_METRICS_PORTS}
    assert len(set(ports.values())) == len(ports)
    monkeypatch.setenv("TRAFFIC_METRICS_PORT", "off")
    assert config.metrics_port("traffic") is None


def test_gateway_config_listens_on_gateway_port(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "8123")
    assert config.nameko_config("gateway")["WEB_SERVER_ADDRESS"].endswith(":8123")
    assert "WEB_SERVER_ADDRESS" not in config.nameko_config("traffic")
