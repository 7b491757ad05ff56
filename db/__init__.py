"""Begleiter-Cockpit's data and rules, testable without Streamlit. One folder per capability;
imports run one way, from the top of this list down (tests/test_layers.py keeps it so):

| layer | holds |
|---|---|
| `__main__`, `bootstrap` | the command line (`python -m db …`) and what happens at start |
| `demo/` | demo world and synthetic data |
| `privacy/` | audit-log search, erasure, retention, subject access |
| `figures/` | Lagebild, the council's releases with disclosure control, charts, release files |
| `results/` | ESF+ indicators, one row per person, the funder's report |
| `casework/` | cases, status workflow, contacts, barriers, overdue, Termine, case list, capacity |
| `programme/` | Sprechstunden, employers, accessibility statement |
| `reporting/` | what every report shares: indicator registry, German number forms, safe cells, PDF |
| `accounts/` | users, passwords, login, sessions, permissions |
| `store/` | models, database, migrations, audit log, memo, backup, PostgreSQL roles |
| `vocabulary`, `phonetics`, `errors`, `clock`, `actors`, `validation`, `settings` | the words everything speaks (`phonetics`: how a name sounds) |
"""
