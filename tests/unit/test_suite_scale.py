"""``smartcity up --scale credit=3``: the instances it runs and the ports it gives them."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from smartcity.cli import main
from smartcity.suite import Suite, parse_scale


def test_scale_specs_are_parsed_and_repeatable():
    assert parse_scale(["credit=3", "traffic=2"]) == {"credit": 3, "traffic": 2}
    assert parse_scale([]) == {}


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("credit", "expected <service>=<instances>"),
        ("=3", "expected <service>=<instances>"),
        ("nowhere=2", "'nowhere' is not one of"),
        ("gateway=2", "'gateway' is not one of"),
        ("credit=0", "from 1 to 16"),
        ("credit=17", "from 1 to 16"),
        ("credit=two", "from 1 to 16"),
        ("credit=-1", "from 1 to 16"),
    ],
)
def test_a_bad_scale_is_refused_before_anything_starts(spec: str, complaint: str):
    result = CliRunner().invoke(main, ["up", "--scale", spec])
    assert result.exit_code == 2
    assert complaint in result.output
    assert "starting the suite" not in result.output


def test_a_service_scaled_twice_is_refused():
    with pytest.raises(ValueError, match="credit is scaled twice"):
        parse_scale(["credit=2", "credit=3"])


def test_each_instance_has_its_own_log_and_metrics_port(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CREDIT_METRICS_PORT", "19106")
    monkeypatch.setenv("TRAFFIC_METRICS_PORT", "19101")
    suite = Suite(tmp_path, processes=("credit", "traffic"), scale={"credit": 3})
    assert list(suite.instances) == ["credit", "credit-2", "credit-3", "traffic"]
    ports = suite.metrics_ports
    assert ports["credit"] == 19106 and ports["traffic"] == 19101  # instance 1 keeps its own
    extra = [ports["credit-2"], ports["credit-3"]]  # the others: free ports chosen now
    assert all(isinstance(port, int) and port > 0 for port in extra)
    assert len({*extra, 19106, 19101}) == 4


def test_metrics_off_stays_off_for_every_instance(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CREDIT_METRICS_PORT", "off")
    suite = Suite(tmp_path, processes=("credit",), scale={"credit": 2})
    assert suite.metrics_ports == {"credit": None, "credit-2": None}
