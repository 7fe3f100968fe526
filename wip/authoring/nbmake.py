"""Private authoring helper: percent-ish text -> .ipynb with nbgrader metadata."""
import re, sys, nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell

def parse(text):
    cells = []
    cur = None
    for line in text.splitlines():
        m = re.match(r"^# %%\s*(.*)$", line)
        if m:
            if cur: cells.append(cur)
            cur = {"head": m.group(1).strip(), "lines": []}
        else:
            if cur is None: cur = {"head": "", "lines": []}
            cur["lines"].append(line)
    if cur: cells.append(cur)
    out = []
    for c in cells:
        src = "\n".join(c["lines"]).strip("\n")
        head = c["head"]
        kind, *rest = head.split() if head else ["code"]
        opts = dict(r.split("=", 1) for r in rest)
        if kind == "[markdown]":
            cell = new_markdown_cell(src)
            if "id" in opts:
                cell.metadata["nbgrader"] = dict(grade=False, grade_id=opts["id"], locked=True, schema_version=3, solution=False, task=False)
        else:
            cell = new_code_cell(src)
            nb = None
            if kind == "solution":
                nb = dict(grade=False, grade_id=opts["id"], locked=False, schema_version=3, solution=True, task=False)
            elif kind == "grade":
                nb = dict(grade=True, grade_id=opts["id"], locked=True, points=float(opts["points"]) if "." in opts["points"] else int(opts["points"]), schema_version=3, solution=False, task=False)
            elif kind == "readonly":
                nb = dict(grade=False, grade_id=opts["id"], locked=True, schema_version=3, solution=False, task=False)
            if nb: cell.metadata["nbgrader"] = nb
        out.append(cell)
    return out

def make(src, dst):
    nb = new_notebook(cells=parse(open(src).read()))
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11"}
    # stable ids so regeneration gives stable diffs
    for i, cell in enumerate(nb.cells):
        cell["id"] = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell-{i:03d}").replace("_", "-")
    nbformat.validate(nb)
    nbformat.write(nb, dst)

if __name__ == "__main__":
    make(sys.argv[1], sys.argv[2])
