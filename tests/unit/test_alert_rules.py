"""The example alert rules parse and name only metrics the app exports."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import editorial.metrics  # noqa: F401  (registers the metrics)
from editorial.livemetrics import LiveCollector

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus" / "alerts.yml"


def _exported() -> set[str]:
    names = set()
    for family in [*REGISTRY.collect(), *LiveCollector().describe()]:
        suffixes = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",)}
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    return names


def test_every_rule_parses_and_uses_exported_metrics() -> None:
    rules = [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]
    assert rules
    exported = _exported()
    for rule in rules:
        assert rule["alert"] and rule["expr"] and rule["labels"]["severity"]
        used = set(re.findall(r"\beditorial_\w+", rule["expr"]))
        assert used and used <= exported, (rule["alert"], used - exported)
