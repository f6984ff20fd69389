"""GRADE certainty suggestions and plain-language statements for a summary of findings (issue 11, item 1).

Pure functions on plain numbers and frames: :mod:`.domains` judges each GRADE domain from the data,
:mod:`.certainty` combines them with reviewer overrides (:mod:`.overrides`) into a certainty rating, and
:mod:`.wording` phrases the result in GRADE's standard words (Santesso et al. 2020). The rating is a
suggestion computed from the data; the page says so and shows any override with its reason.
"""

from .certainty import CERTAINTY_LABELS, Assessment, assess
from .domains import DOMAINS, Judgement
from .overrides import OVERRIDE_COLUMNS, apply_overrides, read_overrides
from .wording import statement

__all__ = [
    "CERTAINTY_LABELS",
    "DOMAINS",
    "OVERRIDE_COLUMNS",
    "Assessment",
    "Judgement",
    "apply_overrides",
    "assess",
    "read_overrides",
    "statement",
]
