"""Data that is not real: the demo world relative to today (seed) and synthetic caseloads of any
size for the benchmarks (synthetic).

May import: every capability below it (it builds its data through the casework functions).
"""
