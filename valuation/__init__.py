"""Pure option pricing for the fair-value marks (funding rounds, cap tables, BSM, binomial, Monte Carlo,
OPM backsolve). Not built yet: this package is reserved by the layout agreed in design.md and is filled in
by the valuation issue. It must never import grpc, SQL or anything with I/O."""
