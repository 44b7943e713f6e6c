#!/usr/bin/env python3
"""Markdown table of `recad import DIR --json [--occt]` results (read from stdin).

    build/recad import ../shared/data -o /tmp/progs --json | python3 scripts/import_table.py ../shared/data
"""
import json
import sys


def num(v, fmt):
    return fmt.format(v) if isinstance(v, (int, float)) else ""


def main():
    root = sys.argv[1].rstrip("/") + "/" if len(sys.argv) > 1 else ""
    d = json.load(sys.stdin)
    vol_key = "volume_mm3" if any("volume_mm3" in f for f in d["files"]) else "occt_volume_mm3"
    box_key = "bbox_err" if any("bbox_err" in f for f in d["files"]) else "occt_bbox_err"
    print("| file | format | status | extrudes | curves | level | volume mm³ | bbox error vs stored | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in d["files"]:
        name = f["file"][len(root):] if f["file"].startswith(root) else f["file"]
        note = f.get("reason", "")
        if f.get("skipped_empty_extrudes"):
            note = "%d extrude(s) with empty profiles skipped" % f["skipped_empty_extrudes"]
        if f.get("intersect"):
            note = "intersect"
        if f.get("warnings") and not note:
            note = "%d warning(s)" % len(f["warnings"])
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, f.get("format", ""), f["status"], num(f.get("extrudes"), "{}"), num(f.get("curves"), "{}"),
            f.get("level", ""), num(f.get(vol_key), "{:.10g}"), num(f.get(box_key), "{:.1e}"), note))
    print()
    print("converted %d, skipped %d" % (d["converted"], d["skipped"]))


if __name__ == "__main__":
    main()
