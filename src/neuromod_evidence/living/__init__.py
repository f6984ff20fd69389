"""Living evidence: HTTP transport, ClinicalTrials.gov and PubMed clients, dated snapshots, the refresh."""
