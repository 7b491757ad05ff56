"""Time and peak memory of reading hostile case-import files (they must be refused cheaply).

    .venv/bin/python bench/hostile_import.py

Makes, in a temporary folder: an xlsx with 300,000 short rows (about a megabyte on disk – an
xlsx is a zip), the dimension bomb (a few KB: the sheet claims A1:Q100000000 and has one cell in
row 10^8 – before the limit on rows read, 363 s of one core and accepted), the same cell without
the claimed size, an xlsx of 60,000 blank rows, one row of 2,000,000 empty cells (13 KB; before
the pre-scan 7 s and 760 MB, accepted), 2,500,000 `<xf/>` in the styles (23 KB; 35 s, 1.6 GB,
accepted) and 200,000 of them under the styles' size limit, a CSV just under the 10 MB limit
with far more rows than allowed, and a CSV over the limit. Each file is read by
`db.casework.caseload_io.read_upload` in a fresh process; printed are the answer, the seconds
and the peak memory (RSS) above that of the same process reading an empty file (the modules the
app loads anyway – pandas, Altair, the PDF library – are the baseline).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.casework.caseload_io import COLUMNS, EXAMPLE_ROW, MAX_BYTES  # noqa: E402

CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from db.casework.caseload_io import read_upload
from db.errors import ValidationError
path = Path(sys.argv[1])
start = time.perf_counter()
try:
    answer = f"{{len(read_upload(path.name, path.read_bytes()))}} Zeilen gelesen" if path.stat().st_size else "leer"
except ValidationError as exc:
    answer = exc.message
print(f"{{time.perf_counter() - start:.2f}}|{{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}}|{{answer}}")
"""


def sheet_with(rows_xml: str, dimension: str | None, styles: Callable[[str], str] | None = None) -> bytes:
    """An xlsx of the template's header whose sheet XML gets these rows and claims this size (None:
    no size at all), its styles.xml rewritten by `styles` – what a hostile file looks like
    inside (tests/test_hostile.py uses it too)."""
    import io
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(list(COLUMNS.values()))
    made = io.BytesIO()
    book.save(made)
    out = io.BytesIO()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = re.sub(r'<dimension ref="[^"]*"\s*/>', "", data.decode())
                xml = xml.replace("</sheetData>", rows_xml + "</sheetData>")
                if dimension:
                    xml = xml.replace("<sheetData", f'<dimension ref="{dimension}"/><sheetData', 1)
                data = xml.encode()
            if item.filename == "xl/styles.xml" and styles is not None:
                data = styles(data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


def wide_row(cells: int) -> bytes:
    """One row of nothing but empty cells: 2,000,000 are a 13 KB file (7 s, 760 MB before the
    pre-scan)."""
    return sheet_with('<row r="2">' + "<c/>" * cells + "</row>", None)


def styles_bomb(entries: int) -> bytes:
    """styles.xml whose cell formats are `<xf/>` this many times: 2,500,000 are a 23 KB file (35 s,
    1.6 GB before the pre-scan)."""
    import re

    def bloat(xml: str) -> str:
        return re.sub(r'<cellXfs count="\d+">', lambda m: m.group(0) + "<xf/>" * entries, xml, count=1)

    return sheet_with("", None, styles=bloat)


def cell_row(row: int) -> str:
    """One filled cell, in column A of this row."""
    return f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>K1</t></is></c></row>'


def make_files(folder: Path) -> dict[str, Path]:
    from openpyxl import Workbook

    row = [EXAMPLE_ROW.get(k, "") for k in COLUMNS]
    files: dict[str, Path] = {}
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(COLUMNS.values()))
    for n in range(300_000):
        sheet.append([f"K{n}", "Vor", "Nach"])  # short rows: the zip stays small
    files["xlsx, 300.000 Zeilen"] = folder / "gross.xlsx"
    book.save(files["xlsx, 300.000 Zeilen"])
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(COLUMNS.values()))
    for n in range(21_000):
        sheet.append([f"K{n}", *row[1:]])
    files["xlsx, 21.000 volle Zeilen"] = folder / "etwas-zu-viel.xlsx"
    book.save(files["xlsx, 21.000 volle Zeilen"])
    files["xlsx, Größe A1:Q100000000 (Dimensionsbombe)"] = folder / "dimension.xlsx"
    files["xlsx, Größe A1:Q100000000 (Dimensionsbombe)"].write_bytes(
        sheet_with(cell_row(100_000_000), "A1:Q100000000"))
    files["xlsx, eine Zelle in Zeile 10^8, ohne Größe"] = folder / "weit-unten.xlsx"
    files["xlsx, eine Zelle in Zeile 10^8, ohne Größe"].write_bytes(
        sheet_with(cell_row(100_000_000), None))
    files["xlsx, eine Zeile mit 2.000.000 Zellen"] = folder / "breit.xlsx"
    files["xlsx, eine Zeile mit 2.000.000 Zellen"].write_bytes(wide_row(2_000_000))
    files["xlsx, 2.500.000 Formatvorlagen"] = folder / "formate.xlsx"
    files["xlsx, 2.500.000 Formatvorlagen"].write_bytes(styles_bomb(2_500_000))
    files["xlsx, 200.000 Formatvorlagen (unter 1 MB)"] = folder / "formate-klein.xlsx"
    files["xlsx, 200.000 Formatvorlagen (unter 1 MB)"].write_bytes(styles_bomb(200_000))
    files["xlsx, 60.000 leere Zeilen"] = folder / "leer-60000.xlsx"
    files["xlsx, 60.000 leere Zeilen"].write_bytes(
        sheet_with("".join(f'<row r="{n}"/>' for n in range(2, 60_002)), None))
    line = (";".join(row) + "\n").encode()
    header = (";".join(COLUMNS.values()) + "\n").encode()
    count = (MAX_BYTES - len(header)) // len(line)
    files[f"CSV knapp 10 MB, {count:,} Zeilen".replace(",", ".")] = folder / "knapp.csv"
    files[f"CSV knapp 10 MB, {count:,} Zeilen".replace(",", ".")].write_bytes(header + line * count)
    files["CSV über 10 MB"] = folder / "zu-gross.csv"
    files["CSV über 10 MB"].write_bytes(header + line * (count + 10))
    files["leer (Grundlast des Prozesses)"] = folder / "leer.csv"
    files["leer (Grundlast des Prozesses)"].write_bytes(b"")
    return files


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        files = make_files(Path(tmp))
        print(f"Dateien erstellt in {time.perf_counter() - start:.0f} s")
        baseline = None
        for name, path in reversed(files.items()):  # the empty file first: the baseline
            out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(path)],
                                 capture_output=True, text=True, check=True).stdout.strip()
            seconds, peak, answer = out.split("|", 2)
            baseline = int(peak) if baseline is None else baseline
            print(f"{name:38} {path.stat().st_size / 1e6:6.1f} MB  {float(seconds):6.2f} s  "
                  f"Spitze +{int(peak) - baseline:4d} MB (Grundlast {baseline} MB)  → {answer}")


if __name__ == "__main__":
    main()
