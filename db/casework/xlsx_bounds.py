"""Bounds on an uploaded xlsx, checked by a streaming count before openpyxl parses any of it.

openpyxl builds a Python object for every cell of a row it reads (read-only mode too: the whole
row is parsed before `max_col` cuts it) and for every style entry, all before the import's CPU
budget is looked at between rows. A few kilobytes of zip unpack to millions of such elements: one
row of 2,000,000 `<c/>` took 7 s and 760 MB, 2,500,000 `<xf/>` in the styles 35 s and 1.6 GB.
Here expat walks every unpacked part in chunks – constant memory, about 0.2 µs an element, no
objects built – and refuses what no caseload needs, before the first object is made.

Deny by default: every part that parses as XML is bounded, by the rules of what its root element
says it is (a relationship may give a worksheet any name, so the name decides nothing); the
parts not named below get a small element budget. A part that is not XML at all (a picture,
printer settings) is never parsed by the import. A DOCTYPE is refused: no xlsx has one, and it
is what entity expansion needs.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from xml.parsers import expat

from ..errors import ValidationError

MAX_ROW_CELLS = 100  # the template has 19 columns; a sheet saved with wide formatting stays far below
MAX_CELL_ELEMENTS = 64  # elements inside one cell or shared string (rich-text runs and their fonts)
MAX_STYLE_ENTRIES = 5_000  # fonts, fills, borders, formats … together; Excel's own files: about 100
MAX_STYLES_BYTES = 1024 * 1024  # styles.xml unpacked; Excel's own: a few kilobytes
MAX_PART_ELEMENTS = 100_000  # any other part: workbook, relationships, theme, properties …
CHUNK = 64 * 1024

_HINT = "Bitte die Fälle in die Vorlage kopieren (nur Werte) und diese hochladen."


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _refused(message: str) -> ValidationError:
    return ValidationError(f"{message} {_HINT}", "file")


def check_xlsx_parts(archive: zipfile.ZipFile, *, max_lines: int,
                     too_many_lines: Callable[[int], Exception]) -> None:
    """Refuse the workbook if any XML part exceeds its bounds; `max_lines` rows per sheet at most
    (the caller's message for more), `max_lines` × MAX_ROW_CELLS cells and shared strings."""
    budget = _Budget(cells=max_lines * MAX_ROW_CELLS)
    for item in archive.infolist():
        if item.is_dir():
            continue
        if item.filename.lower().endswith("styles.xml") and item.file_size > MAX_STYLES_BYTES:
            raise _refused(f"Die Formatvorlagen der Datei sind zu groß (höchstens "
                           f"{MAX_STYLES_BYTES // 1024 // 1024} MB entpackt).")
        _Part(item.filename, budget, max_lines, too_many_lines).scan(archive, item)


class _Budget:
    """What all parts of one workbook share."""

    def __init__(self, cells: int) -> None:
        self.cells = cells  # cells of every sheet together
        self.strings = cells  # shared strings: never more than there are cells to hold them


class _Part:
    """One part's walk: counts by the root element's kind, refusing at the first excess."""

    def __init__(self, name: str, budget: _Budget, max_lines: int,
                 too_many_lines: Callable[[int], Exception]) -> None:
        self.name, self.budget, self.max_lines, self.too_many_lines = name, budget, max_lines, too_many_lines
        self.kind: str | None = None  # the root element's local name, once seen
        self.depth = 0
        self.elements = 0  # outside rows, cells and shared strings: the part's own budget
        self.style_entries = 0
        self.rows = 0
        self.row_depth = self.item_depth = 0  # depth of the open row / cell or string, 0: none
        self.row_cells = self.item_elements = 0
        self.bytes = 0

    def scan(self, archive: zipfile.ZipFile, item: zipfile.ZipInfo) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        with archive.open(item) as stream:
            try:
                while chunk := stream.read(CHUNK):
                    self.bytes += len(chunk)
                    if self.kind == "styleSheet" and self.bytes > MAX_STYLES_BYTES:
                        raise _refused(f"Die Formatvorlagen der Datei sind zu groß (höchstens "
                                       f"{MAX_STYLES_BYTES // 1024 // 1024} MB entpackt).")
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
            except expat.ExpatError:
                if self.kind is not None:
                    raise ValueError(f"{self.name}: no well-formed XML") from None  # "nicht lesen"
                # Not XML from its first bytes (a picture): nothing of the import parses it.

    def _doctype(self, *_: object) -> None:
        raise ValueError(f"{self.name}: DOCTYPE")  # read_upload: "lässt sich nicht lesen"

    def _start(self, name: str, _attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        self.depth += 1
        if self.kind is None:
            self.kind = local
        if self.item_depth:  # inside a cell or a shared string
            self.item_elements += 1
            if self.item_elements > MAX_CELL_ELEMENTS:
                raise _refused(f"Eine Zelle der Datei ist zu verschachtelt (höchstens "
                               f"{MAX_CELL_ELEMENTS} Elemente je Zelle).")
        elif self.kind == "worksheet" and self.row_depth:
            self._cell()
        elif self.kind == "worksheet" and local == "row":
            self.rows += 1
            if self.rows > self.max_lines:
                raise self.too_many_lines(self.rows)
            self.row_depth, self.row_cells = self.depth, 0
        elif self.kind == "sst" and self.depth == 2:
            self.budget.strings -= 1
            if self.budget.strings < 0:
                raise _refused("Die Datei enthält mehr Texte, als ihre Zellen fassen können.")
            self.item_depth, self.item_elements = self.depth, 0
        elif self.kind == "styleSheet" and self.depth == 3:
            self.style_entries += 1
            if self.style_entries > MAX_STYLE_ENTRIES:
                raise _refused(f"Die Datei enthält zu viele Formatvorlagen (höchstens "
                               f"{_number(MAX_STYLE_ENTRIES)}).")
        else:
            self.elements += 1
            if self.elements > MAX_PART_ELEMENTS:
                raise _refused(f"Ein Teil der Datei ({self.name[:80]}) ist zu umfangreich "
                               f"(höchstens {_number(MAX_PART_ELEMENTS)} Elemente).")

    def _cell(self) -> None:
        """A row's child: a cell (or anything else a row holds – it counts the same)."""
        self.row_cells += 1
        if self.row_cells > MAX_ROW_CELLS:
            raise _refused(f"Zeile {_number(self.rows)} der Datei hat zu viele Zellen (höchstens "
                           f"{MAX_ROW_CELLS} je Zeile).")
        self.budget.cells -= 1
        if self.budget.cells < 0:
            raise _refused(f"Die Datei hat zu viele Zellen (höchstens "
                           f"{_number(self.max_lines * MAX_ROW_CELLS)}).")
        self.item_depth, self.item_elements = self.depth, 0

    def _end(self, _name: str) -> None:
        if self.depth == self.item_depth:
            self.item_depth = 0
        elif self.depth == self.row_depth:
            self.row_depth = 0
        self.depth -= 1
