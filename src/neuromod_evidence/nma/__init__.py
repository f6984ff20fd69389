"""Network meta-analysis: several treatments compared at once through their common comparators.

Modules: ``network`` (validated data object), ``contrasts`` (study contrasts and covariances), ``model``
(the model's data layout, sampled by nutpie), ``density`` (its log density and gradient as numba C callbacks
cached on disk), ``bayes`` (fit, gate, summaries), ``frequentist`` (REML /
GLS cross-check, metafor's rma.mv formulation), ``inconsistency`` (node-splitting, UME), ``results``
(output tables, atomic writes, network plot), ``collect`` (every indication's network list as one table). Neither
PyMC nor PyTensor is needed.
"""
