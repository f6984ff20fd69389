"""neuromod-evidence: living evidence synthesis of neuromodulation trials."""

__version__ = "0.1.0"
