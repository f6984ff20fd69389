"""Bayesian random-effects meta-analysis engine.

Modules, one concern each:

- ``priors``       parse prior specifications ("half-normal:2", "turner:pain", ...) into densities
- ``effects``      study-level effect sizes (estimate, standard error) from the usual input layouts
- ``exact``        bayesmeta-style posterior of the normal–normal model by integration over tau
- ``frequentist``  DerSimonian–Laird, Paule–Mandel (statsmodels) and REML with Hartung–Knapp–Sidik–Jonkman
- ``compiled``     the one padded, masked PyMC model compiled once per process with nutpie and reused
- ``nnhm`` / ``binomial``  model-specific data preparation and derived quantities
- ``diagnostics``  R-hat / ESS / divergence gate
- ``sensitivity``  prior alternatives, leave-one-out, fixed effect, exclusions (exact integration)
- ``analysis``     one analysis from contrast rows → :class:`AnalysisResult`
- ``pipeline``     all analyses of ``results/normalized/contrasts.csv`` in one process
- ``io``           writers (summary.csv, summary.json, studies.csv, sensitivity.csv, posterior.nc)

Importing this package does not import PyMC; only ``compiled`` does, lazily.
"""
