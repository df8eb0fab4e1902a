#!/usr/bin/env python3
"""Which source files of a folder name which others' types, and the cycles among them.

Usage: scripts/call-graph.py [FOLDER ...]   (default: Crossbar; folders under src/ImcSharp)
A file "uses" another when its code (comments and strings stripped) names a type the other
declares. Prints each file's uses inside the folders, then every cycle (none: a one-way graph).
"""
import os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "ImcSharp")
folders = sys.argv[1:] or ["Crossbar"]

def code(text):
    text = re.sub(r"//.*", "", text)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)

files = {}
for d, _, names in os.walk(root):
    for n in names:
        if n.endswith(".cs"):
            p = os.path.relpath(os.path.join(d, n), root)
            files[p] = code(open(os.path.join(d, n), encoding="utf-8").read())

inside = [p for p in files if p.split(os.sep)[0] in folders]
declared = {}
for p in inside:
    for m in re.finditer(r"\b(?:class|record|interface|struct|enum)\s+([A-Z]\w*)", files[p]):
        declared.setdefault(m.group(1), p)

uses = {p: sorted({q for t, q in declared.items() if q != p and re.search(r"\b" + t + r"\b", files[p])}) for p in inside}
for p in sorted(uses):
    print(f"{p} -> {', '.join(uses[p]) or '(none)'}")

# Strongly connected components (Tarjan): any with more than one file is a cycle.
index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in uses[v]:
        if w not in index: visit(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: cycles.append(sorted(comp))
for v in uses:
    if v not in index: visit(v)
print("cycles:", "none" if not cycles else "; ".join(" <-> ".join(c) for c in cycles))
sys.exit(1 if cycles else 0)
