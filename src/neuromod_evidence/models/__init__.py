"""Bayesian random-effects meta-analysis engine.

Modules, one concern each (imports run downwards; no cycles):

- ``priors``             parse prior specifications ("half-normal:2", "turner:pain", ...) into densities
- ``analysis_settings``  :class:`AnalysisSettings` of one analysis, built from the typed ``Settings``
- ``studies``            contrast rows → study estimates on the analysis scale, model choice, estimability
- ``exact``              bayesmeta-style posterior of the normal–normal model by integration over tau
- ``frequentist``        DL / PM / REML tau^2 (truncated at 0) with Hartung–Knapp–Sidik–Jonkman intervals
- ``influence``          metafor-style outlier and leave-one-out influence diagnostics
- ``compiled``           the padded, masked PyMC model compiled once per process with nutpie and reused
- ``diagnostics``        R-hat / ESS / divergence gate
- ``crosscheck``         does MCMC agree with the exact posterior?
- ``benefit``            probabilities of benefit (used by the analysis and the sensitivity analyses)
- ``results``            :class:`AnalysisResult`, the studies table (weights), absolute effects
- ``sensitivity``        prior alternatives, leave-one-out, fixed effect, exclusions (exact integration)
- ``analysis``           ``run_analysis(rows, settings, engine, meta)``: one analysis end to end
- ``io``                 ``write_analysis(result, out_dir)`` and summary.csv, through ``tables.write_table``
- ``pipeline``           all analyses of ``results/normalized/contrasts.csv``
- ``collect``            the per-indication summaries as one ``summary.csv`` (pandas only: a light job)

Study-level effect sizes are in ``neuromod_evidence.effects`` (shared with the normalize stage).
Importing this package does not import PyMC; only ``compiled`` does, lazily.
"""
