"""ClinicalTrials.gov API v2: :mod:`.query` (indication → search parameters), :mod:`.parse` (documents →
dataclasses, no network), :mod:`.results` (posted results → flat measurement cells, no network) and
:mod:`.client` (paging and single-record requests over the shared transport)."""
