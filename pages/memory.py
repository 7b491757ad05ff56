"""Python's garbage collection on an app server (issue 42).

Streamlit's own full collection after every run is off (.streamlit/config.toml,
runner.postScriptGC). Python's generational collection still runs in the server process, and
with its defaults it cost the waiting sessions twice:

- **The full collections walk everything alive.** After the first runs a server holds a few
  million objects that stay until it stops – modules, classes, SQLAlchemy's mappings, pandas,
  Streamlit itself – and a full collection went through all of them each time (under AppTest
  about every 20 runs, some 300 ms, in which no other session's run moves on). Once a run has
  imported what it needs, `gc.freeze()` moves everything alive into the permanent generation,
  which no collection visits; later full collections walk only what came after.
- **The youngest generation was collected every 700 new objects.** One run of a page makes tens
  of thousands (widgets, protobuf messages, rows, frames) and holds them until it ends, so each
  run went through dozens of young collections that found little garbage and pushed the run's
  still-living objects into the older generations, whose collections then had them to walk and
  to free. A larger first threshold lets most of a run's objects die by their reference count
  before any collection sees them.

bench/load.py measures both (its variants `ohne-freeze` and `python-gc` switch them off; it
prints the collections' time per server); README, Betrieb.
"""

from __future__ import annotations

import gc
import sys
import threading

# gc.set_threshold(YOUNGEST, *Python's own for the two older generations).
YOUNGEST = 20_000

_frozen_modules = 0  # len(sys.modules) at the last freeze
_lock = threading.Lock()


def tune_collection() -> None:
    """Once per server process, at its start (app.py)."""
    youngest, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(YOUNGEST, youngest), middle, oldest)


def freeze_after_imports() -> None:
    """At the end of a run: if the process has imported modules since the last freeze (a page's
    first run after the start), freeze what is alive now. A few times per process – once the
    pages have been opened, never again – and then one len() per run. What the running sessions
    held at that moment stays too (it is never collected): a run's leftovers, a few times over."""
    global _frozen_modules
    if len(sys.modules) == _frozen_modules:
        return
    with _lock:
        if len(sys.modules) != _frozen_modules:
            _frozen_modules = len(sys.modules)
            gc.freeze()
