"""Programme results for the Land and the ESF+: who took part (entry data), where leavers went
(within 28 days and after six months), the indicators built from them and the funder's report.

| module | holds |
|---|---|
| entry.py | the participant's entry data, their validation and the "complete" rule |
| outcomes.py | pausing (Ruhend), the exit result at 28 days, the six-month follow-up |
| tasks.py | what is due: results to complete, follow-ups, paused cases to resume |
| indicators.py | the result indicators (leavers, integration rate …) counted in SQL |
| report.py | the funder's participant report (Excel, CSV) and the one-page PDF |
"""
