"""PubMed via NCBI E-utilities: :mod:`.query` (indication → search terms), :mod:`.parse` (esearch JSON and
efetch XML → dataclasses, no network) and :mod:`.client` (paging and batching over the shared transport)."""
