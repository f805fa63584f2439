# A peer's way to the same number: pandas + openpyxl read every workbook of the
# data set and compute M1 (213 coverage) for the province, as an analyst would
# in a notebook. Timed by `make bench` beside orgqa; prints "rows N" and "M1 x".
import glob, sys, unicodedata
import pandas as pd

YEAR = int(sys.argv[2])
END = pd.Timestamp(YEAR, 12, 31)

def fold(s):
    s = unicodedata.normalize("NFD", str(s)).lower()
    return "".join(c for c in s if unicodedata.category(c) != "Mn").replace("đ", "d").strip()

def sheet(path, name, key):
    raw = pd.read_excel(path, sheet_name=name, header=None, engine="openpyxl", dtype=object)
    for i in range(min(30, len(raw))):
        if any(fold(v) == key for v in raw.iloc[i] if isinstance(v, str)):
            df = raw.iloc[i + 1:].copy()
            df.columns = [fold(v) for v in raw.iloc[i]]
            return df
    raise SystemExit(f"{path}!{name}: no header")

def dates(col):
    def one(v):
        if isinstance(v, (int, float)) and not pd.isna(v):
            return pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(v))
        return pd.to_datetime(v, dayfirst=True, errors="coerce")
    return col.map(one)

rows = num = den = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.xlsx")):
    dv = sheet(path, "DangVien", "ma dang vien")
    gt = sheet(path, "GioiThieu", "ma dang vien")
    rows += len(dv) + len(gt)
    dv = dv[dv["ma dang vien"].notna() & (dv["ma dang vien"].astype(str).map(fold) != "tong cong")]
    status = dv["trang thai"].map(lambda v: "" if pd.isna(v) else fold(v))
    counted = (status.isin(["", "dang sinh hoat"])) | (dates(dv["ngay trang thai"]) > END)
    working = dv["dang cong tac"].map(lambda v: fold(v) == "co")
    scheme = dv["dien 213"].map(lambda v: "" if pd.isna(v) else fold(v))
    pool = dv[counted & working & scheme.isin(["", "gioi thieu", "mien sinh hoat noi cu tru"])]
    signed = gt[dates(gt["ngay ky"]) <= END]["ma dang vien"].astype(str)
    den += len(pool)
    num += pool["ma dang vien"].astype(str).isin(set(signed)).sum()
print("rows", rows)
print("M1", round(num / den, 3) if den else "nan")
