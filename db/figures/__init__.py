"""The figures: the lead's Lagebild (exact, weekly and monthly series, KPIs) and the district
council's releases – per-quarter tables with disclosure control (small counts hidden, secondary
suppression), the check over everything ever released (feasibility), charts, the release files.

May import: results, casework, programme, reporting, accounts, store and the vocabulary layer.
"""
