"""Accounts: users and their passwords, login with throttling, browser sessions, and who may do
what (permissions – role and ownership, enforced here below every page).

May import: store and the vocabulary layer.
"""
