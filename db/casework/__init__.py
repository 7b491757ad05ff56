"""Casework: everything a companion does with a case – referral, status and its allowed
transitions (workflow), contacts, barriers, next steps and what is overdue, same-day undo, the
case's entry data and outcome for the Land (entry, outcomes, results_card, results_tasks),
Termine, the case list and case page, caseload per companion against capacity (team), the lead's
work list, and the caseload import and export.

May import: programme, reporting, accounts, store and the vocabulary layer.
"""
