"""Network meta-analysis: several treatments compared at once through their common comparators.

Modules: ``network`` (validated data object), ``contrasts`` (study contrasts and covariances), ``model``
(the padded, compile-once PyMC/nutpie model), ``bayes`` (fit, gate, summaries), ``frequentist`` (REML /
GLS cross-check, metafor's rma.mv formulation), ``inconsistency`` (node-splitting, UME), ``results``
(output tables, atomic writes, network plot). PyMC is imported only when sampling.
"""
