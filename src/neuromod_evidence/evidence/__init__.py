"""Stage 1: the curated evidence — schemas, loading with file/line-precise problems, cross-table checks."""

from .loading import evidence_counts, load_evidence
from .model import Evidence, EvidenceError, Problem

__all__ = ["Evidence", "EvidenceError", "Problem", "evidence_counts", "load_evidence"]
