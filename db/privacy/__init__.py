"""Data protection: searching the audit log (who saw or changed what), erasure on request
(Art. 17), retention, and subject access (Art. 15).

May import: figures, results, casework, programme, reporting, accounts, store and the vocabulary
layer.
"""
