"""Customer behaviour: acquisition (who joins, with which traits) and the daily kernel.

A regular package (not a namespace one) so that import contracts and tools see it.
"""
