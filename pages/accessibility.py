"""Barrierefreiheit: the accessibility statement, for every role (and below the login form)."""

from pages.statement import show_statement
from pages.ui.navigation import route_page_through_app

route_page_through_app()
show_statement()
