"""The workbook in JupyterLab, in two modes: ``python -m grader lab [--instructor]``.

* learner (``make lab``): the first lesson open, nbgrader's instructor tools off (its lab
  plugins and its server extensions), a quiet terminal;
* instructor (``make instructor``): the same lab with nbgrader's Formgrader, Create
  Assignment and Assignment List on, its exchange inside the project's ``.cache/``.

Each mode is plain Jupyter configuration, written by :mod:`grader.lab.config` into a folder
of its own that :mod:`grader.lab.launch` puts first on ``JUPYTER_CONFIG_PATH``.
"""

from grader.lab.config import FIRST_LESSON, MODES, mode_dir, write_mode_config
from grader.lab.launch import jupyter_command, start_lab

__all__ = ["FIRST_LESSON", "MODES", "jupyter_command", "mode_dir", "start_lab", "write_mode_config"]
