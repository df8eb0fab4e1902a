#!/usr/bin/env python3
"""Extracts the converters the cost model is calibrated and checked against from Murmann's ADC survey.

Usage: scripts/adc-survey-extract.py ADCsurvey_latest.xlsx src/ImcSharp/Cost/Data/adc-survey.csv

The survey (B. Murmann, "ADC Performance Survey 1997-2025", github.com/bmurmann/ADC-survey, BSD-3-Clause) is an
.xlsx of ISSCC and VLSI converters. Kept, by one fixed rule: Nyquist-rate (OSR = 1), SNDR <= 62 dB (the resolutions
IMC cores use), CMOS at 180 nm or below with a published power, and an architecture ImcSharp models:
  sar         SAR alone (no pipeline, time interleaving or noise shaping)
  flash       flash or folding flash, time-interleaved or not
  oscillator  VCO or time-based (ring-oscillator) converters, time-interleaved or not
Nominal bits come from the title ("8b", "10-bit") when it gives them. Standard library only (no pandas).
"""
import csv
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def column(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def sheets(path):
    z = zipfile.ZipFile(path)
    strings = ["".join(t.text or "" for t in si.iter("{%s}t" % NS["m"]))
               for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS)]
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for s in wb.find("m:sheets", NS):
        name = s.get("name")
        if name not in ("ISSCC", "VLSI"):
            continue
        root = ET.fromstring(z.read("xl/" + target[s.get(rid)].lstrip("/").replace("xl/", "")))
        rows = []
        for r in root.iter("{%s}row" % NS["m"]):
            row = {}
            for c in r.findall("m:c", NS):
                v = c.find("m:v", NS)
                if v is None:
                    continue
                row[column(c.get("r"))] = strings[int(v.text)] if c.get("t") == "s" else v.text
            if row:
                rows.append([row.get(k, "") for k in range(max(row) + 1)])
        yield name, rows


def kind_of(architecture):
    parts = {p.strip() for p in architecture.split(",")}
    if parts == {"SAR"}:
        return "sar"
    if parts <= {"Flash", "TI", "Folding", "Folding Flash"} and parts & {"Flash", "Folding Flash"}:
        return "flash"
    if parts <= {"VCO", "Time-based", "Time-Based", "TI", "TDC"} and parts & {"VCO", "Time-based", "Time-Based"}:
        return "oscillator"
    return None


def paper_id(text):
    # The sheet stores session.paper as a float ("20.100000000000001"); VLSI ids are text ("C15-2").
    value = number(text)
    return f"{round(value, 2):g}" if value is not None else text


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main(survey, out):
    kept = []
    for conference, rows in sheets(survey):
        header = {name: i for i, name in enumerate(rows[0])}

        def get(row, name):
            i = header[name]
            return row[i].strip() if i < len(row) else ""

        for row in rows[1:]:
            kind = kind_of(get(row, "ARCHITECTURE"))
            node_um = number(get(row, "TECHNOLOGY").split(" ")[0]) if get(row, "TECHNOLOGY") else None
            sndr, power = number(get(row, "SNDR_plot [dB]")), number(get(row, "P [W]"))
            fs, osr = number(get(row, "fsnyq [Hz]")), number(get(row, "OSR") or "1")
            if None in (kind, node_um, sndr, power, fs) or osr != 1 or sndr > 62 or node_um > 0.18:
                continue
            if "SiGe" in get(row, "TECHNOLOGY") or "BiCMOS" in get(row, "TECHNOLOGY"):
                continue
            bits = re.search(r"(\d+)[- ]?(b\b|bit|-b\b)", get(row, "TITLE"), re.I)
            bits = int(bits.group(1)) if bits and 3 <= int(bits.group(1)) <= 12 else ""
            kept.append({
                "source": f"{conference} {get(row, 'YEAR')} paper {paper_id(get(row, 'ID'))}",
                "doi": get(row, "DOI"), "title": " ".join(get(row, "TITLE").split()),
                "architecture": get(row, "ARCHITECTURE"), "kind": kind,
                "node_nm": f"{node_um * 1000:g}", "supply_v": get(row, "VSUP1 [V]"), "bits": bits,
                "sndr_db": f"{sndr:.2f}", "sample_rate_hz": f"{fs:.6g}", "power_w": f"{power:.6g}",
                "area_mm2": f"{number(get(row, 'AREA [mm^2]')):.6g}" if number(get(row, "AREA [mm^2]")) else "",
            })
    kept.sort(key=lambda r: (r["kind"], r["source"]))
    with open(out, "w", newline="") as f:
        f.write("# Converters from B. Murmann, \"ADC Performance Survey 1997-2025\" (github.com/bmurmann/ADC-survey, "
                "BSD-3-Clause), rev. 2025-06-09, selected by scripts/adc-survey-extract.py (Nyquist, SNDR <= 62 dB, "
                "CMOS <= 180 nm, SAR / flash / oscillator). Energy per conversion = power_w / sample_rate_hz.\n")
        w = csv.DictWriter(f, fieldnames=list(kept[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(kept)
    print(f"{len(kept)} converters -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
