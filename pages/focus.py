"""Where the keyboard focus goes (WCAG 2.4.3): to the user-name field on the login page, and to
the page's heading after the login and after every change of page – a screen reader then reads
the new page's name, and the next Tab starts from its top instead of from the menu or <body>.

Streamlit replaces the page's elements in place and keeps the focus on <body>. One small
script, run in the page once, watches for a new address and, once the run that draws the page
is over, moves the focus. Clicks within a page (a button, a select box) keep their focus.

The same script repairs two things in markup Streamlit and Vega write, which HTML_CodeSniffer
reports as errors (tests/test_accessibility.py): every chart brings an empty <form> for input
bindings it does not have (a form without a submit button, H32.2) – it is removed; the file
upload's drop zone is role="presentation" around a button (ARIA4) – the role is removed.
"""

from __future__ import annotations

import streamlit as st

_SCRIPT = """
<script>
(() => {
  if (window.__cockpitFocus) return;
  window.__cockpitFocus = true;
  let shown = null;  // the address whose page got the focus last
  const settled = () => document.querySelector("[data-test-script-state=notRunning]") !== null;
  const place = () => {
    const field = document.querySelector("input[autocomplete=username]");
    if (field) { field.focus(); return true; }
    const heading = document.querySelector("[data-testid=stMainBlockContainer] h1");
    if (!heading) return false;
    heading.setAttribute("tabindex", "-1");
    heading.focus();
    return true;
  };
  const check = () => {
    // The login form counts as a page of its own: it may follow a first run at the same address.
    const login = document.querySelector("input[autocomplete=username]") !== null;
    const address = location.pathname + location.search + (login ? "#login" : "");
    if (address !== shown && settled() && place()) shown = address;
  };
  const repair = () => {
    document.querySelectorAll("form.vega-bindings:empty").forEach((form) => form.remove());
    document.querySelectorAll("[data-testid=stFileUploaderDropzone][role=presentation]")
      .forEach((zone) => zone.removeAttribute("role"));
  };
  new MutationObserver(() => { repair(); check(); }).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-test-script-state"]});
  repair();
  check();
})();
</script>
"""


def focus_on_arrival() -> None:
    """Call once per run, before any page."""
    st.html(_SCRIPT, unsafe_allow_javascript=True)
