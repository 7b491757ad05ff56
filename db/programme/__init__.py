"""The programme around the cases: office-hour locations (Sprechstunden) and their weekly plan,
employers, and the accessibility statement.

May import: reporting, accounts, store and the vocabulary layer.
"""
