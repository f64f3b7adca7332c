"""The valuation module (ValuationService): funding rounds and cap tables, option prices, fair-value marks.

Two layers, the lower one pure:

- `valuation.pricing`: the pricing engines (Black-Scholes with dilution, binomial, Monte Carlo, OPM
  backsolve, cap-table waterfalls). float64 maths with no I/O, no clock, no database, grpc or protobuf;
  an import contract (`make lint`) keeps it so.
- the service layer in this package: `rounds` (funding rounds and their cap tables), `valuing` (a deal's
  option right valued from the rounds), `journal` (the fair-value postings), `money` (the one rounding
  of a price to fen), `price_option` (ad-hoc pricing for PriceOption) and `desk` (the application
  service behind the RPCs, reaching the books through `ledger.session`).

docs/valuation.md explains the models and the service.
"""
