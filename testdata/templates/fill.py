#!/usr/bin/env python3
"""Fill an orgqa template the way an office program would, through openpyxl.

usage: fill.py TEMPLATE ROWS.json OUT

ROWS.json maps a sheet name to a list of rows; each row maps a header (as the
template's first row writes it) to a value: a string, a number, or a date as
{"date": "YYYY-MM-DD"}. Rows go under the rows the sheet already holds.
"""
import datetime
import json
import sys

import openpyxl

template, rows_path, out = sys.argv[1:4]
wb = openpyxl.load_workbook(template)
with open(rows_path, encoding="utf-8") as f:
    rows = json.load(f)
for sheet, items in rows.items():
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    r = ws.max_row + 1
    # max_row counts rows a style or validation touched: start after the last value
    while r > 2 and all(c.value is None for c in ws[r - 1]):
        r -= 1
    for item in items:
        for name, value in item.items():
            if isinstance(value, dict):
                value = datetime.datetime.strptime(value["date"], "%Y-%m-%d")
            cell = ws.cell(row=r, column=header.index(name) + 1, value=value)
            if isinstance(value, datetime.datetime):
                cell.number_format = "DD/MM/YYYY"
        r += 1
wb.save(out)
