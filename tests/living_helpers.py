"""Shared helpers for the fetch-layer tests: recorded payloads and transports with no real waiting.

The genuine payloads are in tests/fixtures/api/ (provenance in PROVENANCE.md there); helpers here only
reshape them (e.g. set totalCount) the way the tests describe. Nothing here touches the internet.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from neuromod_evidence.config import load_config
from neuromod_evidence.living.http import Transport, TransportSettings
from neuromod_evidence.settings import Settings, config_sections

API = Path(__file__).resolve().parent / "fixtures" / "api"
GENUINE_STUDIES = ["NCT02210780", "NCT00763412", "NCT05594173"]
PAGE1_TOKEN = "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4dnDeTsPkw"  # page 1's nextPageToken


def load_json(name: str) -> Any:
    return json.loads((API / name).read_text(encoding="utf-8"))


def text(name: str) -> str:
    return (API / name).read_text(encoding="utf-8")


def genuine_study(nct: str) -> dict[str, Any]:
    return load_json(f"ctgov-v2-study-{nct}.json")


def synthetic_study() -> dict[str, Any]:
    return load_json("synthetic-ctgov-scs-study.json")


def two_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    """The genuine page 1 and page 2, made a complete 10-study search (page 2 becomes the last page)."""
    p1 = copy.deepcopy(load_json("ctgov-v2-search-page.json"))
    p2 = copy.deepcopy(load_json("ctgov-v2-search-page2-pagetoken.json"))
    p1["totalCount"] = 10
    p2.pop("nextPageToken", None)
    return p1, p2


class Sleeps(list):
    """Records every wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def transport(base_url: str, sleeps: Sleeps | None = None, **overrides: Any) -> Transport:
    settings = dict(
        base_url=base_url,
        requests_per_second=1000.0,
        connect_timeout=2.0,
        read_timeout=5.0,
        max_retries=3,
        backoff_factor=0.5,
        backoff_jitter=0.25,
        retry_after_cap=3.0,
        contact="tests@example.org",
    )
    settings.update(overrides)
    return Transport(TransportSettings(**settings), sleep=sleeps if sleeps is not None else Sleeps())


CONFIG = load_config()  # the project's configuration, validated and defaulted
FBSS_TERMS = {
    "label": "Failed back surgery syndrome",
    "synonyms": ["failed back surgery syndrome", "post-laminectomy syndrome"],
    "mesh_terms": ["Failed Back Surgery Syndrome"],
}


def fetch_cfg(tmp_path: Path, server_url: str, **overrides: Any) -> dict[str, Any]:
    """A live `fetch:` section pointed at the local server, with no real waiting."""
    cfg = dict(
        mode="live",
        ctgov_base_url=server_url + "/api/v2",
        eutils_base_url=server_url + "/eutils",
        tool="neuromod-evidence-tests",
        email="tests@example.org",
        snapshot_dir=str(tmp_path / "snapshots"),
        intervention_terms=["spinal cord stimulation"],
        page_size=5,
        max_retries=2,
        backoff_seconds=0.0,
        retry_after_cap_seconds=0,
        timeout_seconds=5,
        ctgov_requests_per_second=10,  # the schema's maxima: tests never wait on a real rate
        eutils_requests_per_second=3,
        decisions_file=str(tmp_path / "decisions.csv"),
    )
    cfg.update(overrides)
    return cfg


def settings(fetch: dict[str, Any] | None = None, **fbss: Any) -> Settings:
    """The project's settings with only the fbss indication (its terms as in FBSS_TERMS) and `fetch`."""
    raw = config_sections(CONFIG)
    raw["indications"] = {"fbss": {**CONFIG["indications"]["fbss"], **FBSS_TERMS, **fbss}}
    if fetch is not None:
        raw["fetch"] = fetch
    return Settings.from_config(raw)


FBSS = settings().indications["fbss"]


def snapshot_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` (bytes and mtime in ns), to prove a failure changed nothing."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".meta.json")
    }
