"""The four-dimension assessment of tech companies (创新力, 竞争力, 进化力, 影响力) and the tier it gives."""
