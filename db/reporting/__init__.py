"""What every report shares, below both the council's figures and the funder's results: what
each published figure means (registry), how numbers are written in German (formats), cells a
spreadsheet cannot run as formulas (cells), and the PDF layout (pdf).

May import: the vocabulary layer only.
"""
