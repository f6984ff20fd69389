"""Screening: posted registry results → outcome rows, the review queue, PRISMA counts, the cross-check."""
