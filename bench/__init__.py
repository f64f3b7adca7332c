"""toudai benchmarks (`make bench` = `python -m bench`): not tests, figures against baselines.

Every benchmark prints its figure next to a baseline measured in the same run on the same machine, as
a ratio, so that a number means something on any machine. Results with the date and the machine are
recorded in docs/performance.md.
"""
