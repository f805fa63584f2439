#!/usr/bin/env python3
"""Writes the layout variants of one plain report with openpyxl, the way
offices lay out the same table: an official form's header block, a row of
column numbers, merged codes, formulas without cached values, a signature
block, dates typed in other forms, codes typed as numbers. Then LibreOffice
saves the plain report and the all-layouts one as .xls and .ods.

    python3 testdata/layouts/make.py   (from the repository root; needs openpyxl, soffice)

The base is testdata/libreoffice/excelize-0100-2025.xlsx (orgqa gen --seed 21).
Every variant holds exactly the base report's data: ingest must load each to
the base's rows.
"""
import datetime, os, shutil, subprocess, sys, tempfile
import openpyxl
from openpyxl.utils import get_column_letter

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, '..', 'libreoffice', 'excelize-0100-2025.xlsx')


def header_row(ws):
    for r in range(1, 6):
        if ws.cell(r, 1).value in ('STT', 'Mã đơn vị báo cáo'):
            return r
    raise SystemExit('no header in ' + ws.title)


def first_data(ws):
    """The first data row: its STT (column A) is a number (ThongTin: row 2)."""
    if ws.title == 'ThongTin':
        return 2
    for r in range(header_row(ws) + 1, ws.max_row + 2):
        if isinstance(ws.cell(r, 1).value, int):
            return r
    return ws.max_row + 1


def last_row(ws):
    r = ws.max_row
    while r > 1 and all(c.value is None for c in ws[r]):
        r -= 1
    return r


GROUPS = {'Vắng có lý do': ('Vắng', 'Có lý do'), 'Vắng không lý do': ('Vắng', 'Không lý do'),
          'Ngày ký': ('Ngày', 'Ký'), 'Ngày xã xác nhận': ('Ngày', 'Xã xác nhận'),
          'Ngày chi bộ nhận': ('Ngày', 'Chi bộ nhận')}


def header_block(wb):
    """SinhHoat and GioiThieu get a two-row header: group cells merged over
    their sub-headers, every other header cell merged down over both rows."""
    for name in ('SinhHoat', 'GioiThieu'):
        ws = wb[name]
        h = header_row(ws)
        ws.insert_rows(h + 1)
        n = ws.max_column
        groups = {}
        for c in range(1, n + 1):
            v = ws.cell(h, c).value
            if v in GROUPS:
                g, sub = GROUPS[v]
                groups.setdefault(g, []).append(c)
                ws.cell(h, c).value = None
                ws.cell(h + 1, c).value = sub
            elif v is not None:
                ws.merge_cells(start_row=h, start_column=c, end_row=h + 1, end_column=c)
        for g, cols in groups.items():
            ws.cell(h, cols[0]).value = g
            ws.merge_cells(start_row=h, start_column=cols[0], end_row=h, end_column=cols[-1])


def column_numbers(wb):
    """A row of column numbers under every header: (1), (2)… as on official forms."""
    for ws in wb.worksheets:
        h = header_row(ws)
        for rng in ws.merged_cells.ranges:  # a header block: under its last row
            if rng.min_row == h and rng.min_col == 1:
                h = rng.max_row
        ws.insert_rows(h + 1)
        for c in range(1, ws.max_column + 1):
            if ws.cell(h, c).value is not None:
                ws.cell(h + 1, c).value = '(%d)' % c if ws.title != 'ThongTin' else c


def merged_codes(wb):
    """SinhHoat: one Mã chi bộ cell merged down over each cell's meetings."""
    ws = wb['SinhHoat']
    r, end = first_data(ws), last_row(ws)
    while r <= end:
        code = ws.cell(r, 2).value
        s = r
        while r + 1 <= end and ws.cell(r + 1, 2).value == code:
            r += 1
        if r > s:
            for k in range(s + 1, r + 1):
                ws.cell(k, 2).value = None
            ws.merge_cells(start_row=s, start_column=2, end_row=r, end_column=2)
        r += 1


def formulas(wb):
    """SinhHoat: Có mặt = Số đảng viên − miễn − vắng, as a formula openpyxl
    writes without a cached value (where the figures add up)."""
    ws = wb['SinhHoat']
    for r in range(first_data(ws), last_row(ws) + 1):
        f, g, hh, i, j = (ws.cell(r, c).value for c in (6, 7, 8, 9, 10))
        if None not in (f, g, hh, i, j) and f - g - i - j == hh:
            ws.cell(r, 8).value = '=F%d-G%d-I%d-J%d' % (r, r, r, r)


def signature(wb):
    """A signature block under the data of DangVien and SinhHoat."""
    for name in ('DangVien', 'SinhHoat'):
        ws = wb[name]
        r = last_row(ws) + 2
        ws.cell(r, 8).value = 'Long Hồ, ngày 24 tháng 01 năm 2026'
        ws.cell(r + 1, 2).value = 'NGƯỜI LẬP BIỂU'
        ws.cell(r + 1, 8).value = 'T/M BAN THƯỜNG VỤ'
        ws.cell(r + 2, 8).value = 'BÍ THƯ'
        ws.cell(r + 3, 2).value = '(Ký, ghi rõ họ tên)'
        ws.cell(r + 3, 8).value = '(Ký tên, đóng dấu)'
        ws.cell(r + 7, 2).value = 'Trần Minh Long'
        ws.cell(r + 7, 8).value = 'Nguyễn Văn Hùng'
        ws.cell(r + 9, 2).value = 'Nơi nhận:'
        ws.cell(r + 10, 2).value = '- Ban Tổ chức Tỉnh ủy;'
        ws.cell(r + 11, 2).value = '- Lưu VP.'


def dates(wb):
    """Dates typed as text in the other forms offices use."""
    ws = wb['DangVien']
    for r in range(first_data(ws), last_row(ws) + 1):
        v = ws.cell(r, 4).value
        if isinstance(v, datetime.datetime):
            ws.cell(r, 4).value = v.strftime('%Y/%m/%d')
    ws = wb['GioiThieu']
    for r in range(first_data(ws), last_row(ws) + 1):
        v = ws.cell(r, 4).value
        if isinstance(v, datetime.datetime):
            ws.cell(r, 4).value = 'ngày %d tháng %d năm %d' % (v.day, v.month, v.year)
        v = ws.cell(r, 5).value
        if isinstance(v, datetime.datetime) and 2000 <= v.year < 2030:
            ws.cell(r, 5).value = v.strftime('%d/%m/%y')


def codes(wb):
    """DangVien's member codes typed as numbers shown with zeros (format
    000000000); GioiThieu's typed as numbers in General cells, zeros lost."""
    ws = wb['DangVien']
    for r in range(first_data(ws), last_row(ws) + 1):
        v = ws.cell(r, 2).value
        if isinstance(v, str) and v.isdigit():
            ws.cell(r, 2).value = int(v)
            ws.cell(r, 2).number_format = '0' * len(v)
    ws = wb['GioiThieu']
    for r in range(first_data(ws), last_row(ws) + 1):
        v = ws.cell(r, 2).value
        if isinstance(v, str) and v.isdigit():
            ws.cell(r, 2).value = int(v)
            ws.cell(r, 2).number_format = 'General'


def page_headers(wb):
    """DangVien's header row copied again in the middle of the data, as when a
    list is pasted together from printed pages."""
    ws = wb['DangVien']
    h = header_row(ws)
    r = first_data(ws) + 20
    ws.insert_rows(r)
    for c in range(1, ws.max_column + 1):
        ws.cell(r, c).value = ws.cell(h, c).value


def bracket_notes(wb):
    """Headers with a note in brackets that changes nothing."""
    for name, old, new in (('SinhHoat', 'Số đảng viên', 'Số đảng viên (người)'),
                           ('SinhHoat', 'Ngày họp', 'Ngày họp (dd/mm/yyyy)'),
                           ('DangVien', 'Ngày sinh', 'Ngày sinh (ngày/tháng/năm)')):
        ws = wb[name]
        h = header_row(ws)
        for c in range(1, ws.max_column + 1):
            if ws.cell(h, c).value == old:
                ws.cell(h, c).value = new


VARIANTS = {'header-block': [header_block], 'column-numbers': [column_numbers], 'merged-codes': [merged_codes],
            'formulas': [formulas], 'signature': [signature], 'dates': [dates], 'codes': [codes],
            'page-headers': [page_headers], 'bracket-notes': [bracket_notes]}
# rows are inserted first: openpyxl moves neither formulas nor merges with them
VARIANTS['all'] = [bracket_notes, header_block, column_numbers, page_headers, dates, codes, formulas, merged_codes, signature]


def main():
    for name, steps in VARIANTS.items():
        wb = openpyxl.load_workbook(BASE)
        for s in steps:
            s(wb)
        wb.save(os.path.join(HERE, name + '.xlsx'))
    shutil.copy(BASE, os.path.join(HERE, 'plain.xlsx'))
    with tempfile.TemporaryDirectory() as profile:
        for src in ('plain', 'all'):
            for fmt, filt in (('xls', 'xls:MS Excel 97'), ('ods', 'ods')):
                subprocess.run(['soffice', '-env:UserInstallation=file://' + profile, '--headless', '--convert-to', filt,
                                '--outdir', HERE, os.path.join(HERE, src + '.xlsx')], check=True,
                               stdout=subprocess.DEVNULL)
                os.replace(os.path.join(HERE, src + '.' + fmt), os.path.join(HERE, 'libreoffice-' + src + '.' + fmt))
    os.remove(os.path.join(HERE, 'plain.xlsx'))


if __name__ == '__main__':
    main()
