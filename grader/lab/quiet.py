"""The lab terminal's log filter (``ServerApp.logging_config``, see grader.lab.config).

Only for messages that no setting can prevent and that ask nothing of a learner. Everything
that could be fixed is fixed where it arises instead: untrusted notebooks (grader.lab.launch
signs the project's), unencrypted kernels (CurveZMQ keys), jupyter-lsp's list of missing
language servers (extension off), nbgrader's exchange (off for learners, in .cache/ for
instructors).
"""

from __future__ import annotations

import logging

# jupyter_server.serverapp logs these notices as CRITICAL so that they print at any log
# level: the URLs to open (with a generated token), and the stop a learner asked for (Ctrl-C
# then "y", Ctrl-C twice, SIGTERM). None is a fault; as INFO they print without a [C].
SERVER_NOTICES = ("To access the server", "received signal", "Shutdown confirmed",
                  "Shutting down...")


class QuietFilter(logging.Filter):
    """Drop or demote the server's log records that are noise to a learner."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        # tornado >= 6.5 (websocket.py) on the first kernel websocket: jupyter_server's
        # WebSocketMixin hands tornado its own keep-alive timings in milliseconds (interval
        # 30000, timeout 90000), tornado reads them as seconds and, since 6.5, clamps a
        # timeout above the interval. jupyter_server pings on its own timer with the right
        # units, so nothing is wrong; and no setting satisfies both (tornado wants timeout <=
        # interval, jupyter_server's own check closes a healthy socket unless timeout >
        # interval). jupyter_server#1612.
        if message.startswith("The websocket_ping_timeout"):
            return False
        # JupyterLab's front end asks /lsp/status at start whether a language server is
        # there; jupyter_lsp is off (it would start the venv's pyright on every notebook),
        # so the answer is 404, which is exactly "no": nothing for a learner to act on.
        if message.startswith("404 GET /lsp/status"):
            return False
        if record.levelno == logging.CRITICAL and any(n in message for n in SERVER_NOTICES):
            # The handler's level check has passed already: as INFO it still prints.
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


# ipykernel (kernelbase.py) logs this at ERROR when a SIGINT lands while it handles a
# message; it means the kernel survived an interrupt, which is the point of one.
# jupyter_client interrupts every kernel it shuts down (KernelManager.shutdown_kernel), so
# a learner closing a notebook whose widgets are still closing their comms would see an
# ERROR line for a clean shutdown. An interrupt of running code shows in the notebook
# itself (a KeyboardInterrupt traceback), not through this line.
KERNEL_INTERRUPT_NOTICE = "KeyboardInterrupt caught in kernel"


class KernelInterruptFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        return not message.startswith(KERNEL_INTERRUPT_NOTICE)


def quiet_kernel_log() -> bool:
    """Inside a running ipykernel (the IPython startup file, grader/tracebacks.py): drop
    KERNEL_INTERRUPT_NOTICE from its log. True when a kernel's log got the filter."""
    import sys

    kernelapp = sys.modules.get("ipykernel.kernelapp")
    if kernelapp is None or not kernelapp.IPKernelApp.initialized():
        return False
    app = kernelapp.IPKernelApp.instance()
    logs = {id(log): log for log in (app.log, getattr(app.kernel, "log", None))
            if isinstance(log, logging.Logger)}
    for log in logs.values():
        if not any(isinstance(f, KernelInterruptFilter) for f in log.filters):
            log.addFilter(KernelInterruptFilter())
    return bool(logs)
