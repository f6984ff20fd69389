"""Stage 2: curated evidence → analysis-ready contrasts on common scales, plus the issues ledger."""

from .build import Normalized, normalize, write_normalized
from .stage import normalize_stage, validate_stage
from .trial_contrast import analysis_id

__all__ = ["Normalized", "analysis_id", "normalize", "normalize_stage", "validate_stage", "write_normalized"]
