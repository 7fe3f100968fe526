"""nbgrader configuration for this course: stock nbgrader commands work from this folder.

    nbgrader generate_assignment 01_vectorization   # solutions/ -> exercises/
    nbgrader autograde 01_vectorization             # submitted/ -> autograded/ + gradebook.db
    nbgrader generate_feedback 01_vectorization

`python -m grader build` runs the same generate step through nbgrader's API.
"""

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "ai-to-production"
# solutions/ is nbgrader's "source" (single source of truth); exercises/ is the "release".
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# A folder named solution_only/ inside an assignment (reference code, model crates) never
# reaches learners, and autograde never copies it over a submission either.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".cache", "target", "*.so",
    "solution_only", ".hypothesis",
]

# Files learners edit beside an assignment's notebook (relative to its folder). Autograde
# restores every other file of a submission from solutions/ (Cargo.toml, the crate's
# src/module.rs with the allocation counter, checks.py), but grades these as submitted.
c.Autograde.exclude_overwriting = {
    "02_hallucinated_apis": ["js/users.mjs"],
    "04_simd": ["sum_array.mojo"],
    "05_rust_clones": [
        "crates/users/src/lib.rs",
        "crates/report/src/lib.rs",
        "crates/stats/src/lib.rs",
    ],
    "06_go_errors": ["fetch/fetch.go"],
}

# Stock nbgrader zeroes a test cell that writes anything to stderr, so a numba or
# deprecation warning would cost a correct answer its points. Drop stderr text that is a
# Python warning (failures are raised as errors, never only printed).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*(Warning|warn)\w*[:(]"

# Autograde pipeline: nbgrader's own, with Execute replaced by SandboxedGrading: the
# learner's notebook runs only in the sandbox, and every grade cell's verdict is decided by
# the course's grading engine outside it (the one `python -m grader autograde` and
# `python -m grader grade` use), so a patched test helper, timer or gradebook in the
# notebook changes nothing. See grader/nbgrader_ext.py for the ordering rule.
c.Autograde.autograde_preprocessors = [
    "grader.nbgrader_ext.SandboxedGrading",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback: stock generate_feedback would show hidden tests in tracebacks and printed output
# (nbgrader #917); RedactHiddenTests cuts them (grader/nbgrader_ext.py for the ordering rule).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.nbgrader_ext.RedactHiddenTests",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Grade cells that time code need more than nbgrader's 30 s default; infinite loops are
# still stopped.
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True
