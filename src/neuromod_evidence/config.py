"""Load and validate the pipeline configuration.

The Snakefile validates the same file with `snakemake.utils.validate`; this module gives the command line
and the tests the identical, defaulted view, plus a few cross-reference checks a JSON schema cannot express
(an outcome named in an indication must exist, windows must not overlap, ...).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

PACKAGE_ROOT = Path(__file__).resolve().parent
# shipped inside the package (workflow/schemas/config.schema.yaml is a link to it), so an installed copy works
SCHEMA_PATH = PACKAGE_ROOT / "config.schema.yaml"
# relative to the working directory: a checkout's config, or the user's own copy next to their data
DEFAULT_CONFIG_PATH = Path("config") / "config.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key."""


@cache
def load_schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _defaulting_validator():
    """A Draft 2020-12 validator that also fills in `default:` values, as snakemake's validate does."""
    base = jsonschema.Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": set_defaults})


def validate_config(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Return a defaulted deep copy of `config`, or raise ConfigError naming the offending key."""
    config = copy.deepcopy(config)
    validator = _defaulting_validator()(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(f"{source}: invalid value at '{where}': {err.message}")
    # a second pass fills defaults inside objects that were themselves defaulted
    validator.validate(config)
    _check_cross_references(config, source)
    return config


def _check_cross_references(config: dict[str, Any], source: str) -> None:
    classes = set(config["intervention_classes"]) | set(config["comparator_classes"])
    overlap = set(config["intervention_classes"]) & set(config["comparator_classes"])
    if overlap:
        raise ConfigError(f"{source}: class ids used both as intervention and comparator: {sorted(overlap)}")
    families = {s["family"] for s in config["scales"].values()}
    for oid, outcome in config["outcomes"].items():
        if outcome["family"] not in families:
            raise ConfigError(f"{source}: outcomes/{oid}/family '{outcome['family']}' has no scale")
        if (outcome["kind"] == "binary") != (outcome["measure"] == "OR"):
            raise ConfigError(f"{source}: outcomes/{oid}: binary outcomes use OR, continuous use MD")
        _check_windows(
            outcome.get("timepoints", config["timepoints"]), f"{source}: outcomes/{oid}/timepoints"
        )
    _check_windows(config["timepoints"], f"{source}: timepoints")
    for iid, ind in config["indications"].items():
        for oid in ind["outcomes"]:
            if oid not in config["outcomes"]:
                raise ConfigError(f"{source}: indications/{iid}/outcomes/{oid} is not defined under outcomes")
        for cid, comp in ind["comparisons"].items():
            for side in ("intervention", "comparator"):
                for cls in comp[side]:
                    if cls not in classes:
                        raise ConfigError(
                            f"{source}: indications/{iid}/comparisons/{cid}/{side}: unknown class '{cls}'"
                        )
            shared = set(comp["intervention"]) & set(comp["comparator"])
            if shared:
                raise ConfigError(
                    f"{source}: indications/{iid}/comparisons/{cid}: {sorted(shared)} on both sides"
                )
    _check_lumps(config.get("nma", {}).get("lump", {}), classes, source)


def _check_lumps(lumps: dict[str, Any], classes: set[str], source: str) -> None:
    """A lumped node names known classes, each class in one node at most, and no other class's id."""
    seen: dict[str, str] = {}
    for node, spec in lumps.items():
        if node in classes and node not in spec["classes"]:
            raise ConfigError(f"{source}: nma/lump/{node}: named after an arm class it does not contain")
        for cls in spec["classes"]:
            if cls not in classes:
                raise ConfigError(f"{source}: nma/lump/{node}/classes: unknown class '{cls}'")
            if cls in seen:
                raise ConfigError(f"{source}: nma/lump: class '{cls}' is in both '{seen[cls]}' and '{node}'")
            seen[cls] = node


def _check_windows(windows: list[dict[str, Any]], where: str) -> None:
    ids = [w["id"] for w in windows]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: duplicated window id")
    spans = sorted((w["window"][0], w["window"][1], w["id"]) for w in windows)
    for lo, hi, wid in spans:
        if not lo < hi:
            raise ConfigError(f"{where}/{wid}: window must run from a smaller to a larger month")
        target = next(w["target"] for w in windows if w["id"] == wid)
        if not lo <= target <= hi:
            raise ConfigError(f"{where}/{wid}: target {target} lies outside its window [{lo}, {hi}]")
    for (_, hi, a), (lo, _, b) in zip(spans, spans[1:], strict=False):
        if lo < hi:
            raise ConfigError(f"{where}: windows '{a}' and '{b}' overlap")
    if sum(bool(w.get("primary")) for w in windows) > 1:
        raise ConfigError(f"{where}: more than one primary window")


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return validate_config(raw, source=str(path))
