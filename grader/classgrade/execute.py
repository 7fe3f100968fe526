"""``python -m grader.classgrade.execute IN OUT [--timeout S] [--output-cap BYTES]``.

Runs *inside* the sandbox: executes a sanitized submission with nbclient exactly as
nbgrader's ``Execute`` preprocessor would (errors allowed, interrupt on timeout, the same
``CellTimeoutError`` output), with three differences that close nbgrader holes:

* a dead kernel (``os._exit``, a segfault, the memory limit) gives every grade cell that has
  not reported yet an error output, so it scores 0 (stock nbgrader scores a never-run grade
  cell as a pass, nbgrader #427);
* each cell's outputs are capped at ``--output-cap`` bytes, so a flood cannot exhaust the
  executor's memory (nbgrader's LimitOutput only trims afterwards);
* the notebook is checkpointed to OUT after every cell, so when the sandbox's wall clock
  kills everything the parent still knows which cells reported.

Everything written here is untrusted: student code runs as the same uid and could rewrite
OUT. The parent therefore takes only outputs from OUT, re-verifies every grade cell out of
process, and never lets OUT gain points on its own (see grader/classgrade/__init__.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# nbformat imports jsonschema, which imports rfc3987_syntax eagerly; that module builds ~35
# Earley parsers at import, about 3 s of CPU in every sandboxed execution here (reported as
# jsonschema#1428, still so in 4.26). Notebook schemas use no "iri" format, so this short-lived
# process goes without that one checker: jsonschema skips a checker whose import fails.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbformat import NotebookNode  # noqa: E402

from grader.classgrade.capture import TRUNCATED  # noqa: E402

# What nbgrader's Execute appends when a cell times out (its error_on_timeout default).
TIMEOUT_ERROR = {
    "ename": "CellTimeoutError",
    "evalue": "",
    "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"],
}
NOT_RUN_ENAME = "GraderNoReport"


def is_grade_cell(cell: NotebookNode) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def not_run_error(reason: str) -> NotebookNode:
    """The error output a grade cell gets when it never reported: worth 0 points."""
    return nbformat.v4.new_output(
        "error", ename=NOT_RUN_ENAME, evalue=reason, traceback=[f"{NOT_RUN_ENAME}: {reason}"]
    )


def mark_unreported(nb: NotebookNode, start: int, reason: str) -> None:
    """Give every code grade cell from ``start`` on that has no error yet an error output."""
    for cell in nb.cells[start:]:
        if cell.cell_type == "code" and is_grade_cell(cell):
            if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell.outputs = list(cell.get("outputs", [])) + [not_run_error(reason)]


class CappedClient(NotebookClient):
    """nbclient with a per-cell output budget (bytes of output content)."""

    output_cap = 1 << 20

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        used = self._used.setdefault(cell_index, 0)
        if used > self.output_cap:
            return None  # already truncated: drop silently, keep draining the kernel
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._used[cell_index] = used + size
        if used + size > self.output_cap:
            note = TRUNCATED.format(cap=self.output_cap)
            out = nbformat.v4.new_output("stream", name="stdout", text=note)
            outs.append(out)
            self._used[cell_index] = self.output_cap + 1
            return out
        return super().output(outs, msg, display_id, cell_index)

    _used: dict[int, int]


def _record_reply_error(cell: NotebookNode, cell_index: int, execute_reply: dict) -> None:
    """nbgrader's Execute.on_cell_executed: a timeout reply becomes an error output."""
    content = execute_reply.get("content", {}) if execute_reply else {}
    if content.get("status") != "error":
        return
    if any(o.get("output_type") == "error" and o.get("ename") == content.get("ename")
           for o in cell.outputs):
        return
    cell.outputs.append(nbformat.v4.new_output(
        "error", ename=content.get("ename", "Error"), evalue=content.get("evalue", ""),
        traceback=content.get("traceback") or ["ERROR: An error occurred while showtraceback "
                                               "was disabled"]))


def _timed_out(cell: NotebookNode) -> bool:
    return any(o.get("ename") == TIMEOUT_ERROR["ename"] for o in cell.get("outputs", []))


def _responsive(client: NotebookClient, timeout: int) -> bool:
    """After a timeout: does the kernel answer a trivial cell within a short while?"""
    probe = nbformat.v4.new_code_cell("pass")
    saved, client.timeout = client.timeout, max(1, min(timeout, 10))
    try:
        client.execute_cell(probe, -1, store_history=False)
    finally:
        client.timeout = saved
    return not _timed_out(probe)


def _checkpoint(nb: NotebookNode, out: Path) -> None:
    tmp = out.with_name(out.name + ".tmp")
    nbformat.write(nb, str(tmp))
    os.replace(tmp, out)  # the parent never reads a half-written file


def execute(nb: NotebookNode, out: Path, *, timeout: int, output_cap: int,
            kernel_name: str = "python3") -> NotebookNode:
    """Execute ``nb`` cell by cell, checkpointing to ``out``; never raises for student code.

    A kernel that cannot start or dies marks the unreported grade cells and stops.
    """
    client = CappedClient(
        nb, timeout=timeout, interrupt_on_timeout=True, allow_errors=True,
        error_on_timeout=TIMEOUT_ERROR, kernel_name=kernel_name, record_timing=False,
        raise_on_iopub_timeout=True, on_cell_executed=_record_reply_error,
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
    )
    client.output_cap = output_cap
    client._used = {}
    index = 0
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                _checkpoint(nb, out)
                if _timed_out(cell) and not _responsive(client, timeout):
                    # Interrupt ignored: every later cell would only time out in turn.
                    mark_unreported(nb, index, "the kernel stopped responding (a cell "
                                               "ignored the interrupt); no points")
                    break
            else:
                index = len(nb.cells)
    except DeadKernelError:
        mark_unreported(nb, index, "the kernel died before this test reported (os._exit, a "
                                   "crash or a resource limit); no points")
    except Exception as exc:  # any other executor failure must not look like a pass
        mark_unreported(nb, index, f"execution stopped: {type(exc).__name__}: {exc}")
    _checkpoint(nb, out)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classgrade.execute")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--timeout", type=int, default=180, help="seconds per cell")
    parser.add_argument("--output-cap", type=int, default=1 << 20, help="bytes per cell")
    parser.add_argument("--kernel", default="python3")
    args = parser.parse_args(argv)
    nb = nbformat.read(str(args.notebook), as_version=4)
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # what nbgrader's autograde sets
    execute(nb, args.out, timeout=args.timeout, output_cap=args.output_cap,
            kernel_name=args.kernel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
