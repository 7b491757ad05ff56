"""Results for the Land and the ESF+: the result indicators counted in SQL (leavers,
integration rate, six-month rate …), one row per person however often referred (persons), and the
funder's participant report (Excel, CSV, PDF). What is recorded on each case – entry data, the
exit result, the six-month follow-up – is casework (db.casework.entry, db.casework.outcomes).

May import: casework, programme, reporting, accounts, store and the vocabulary layer.
"""
