"""Solution regions in non-notebook sources: stripped for learners, found by the leak scan."""

from __future__ import annotations

import pytest

from grader.sources import RegionError, learner_version, solution_lines

RUST = """fn get(users: &[User], id: u64) -> Option<&str> {
    // BEGIN SOLUTION
    users.iter().find(|u| u.id == id).map(|u| u.name.as_str())
    // END SOLUTION
    // BEGIN STARTER
    // todo!("borrow instead of cloning")
    // END STARTER
}
"""


def test_learner_version_keeps_starter_and_drops_solution():
    out = learner_version(RUST)
    assert out == ('fn get(users: &[User], id: u64) -> Option<&str> {\n'
                   '    todo!("borrow instead of cloning")\n}\n')
    assert solution_lines(RUST) == [
        "    users.iter().find(|u| u.id == id).map(|u| u.name.as_str())"]


def test_hash_comments_work_for_mojo_and_python():
    src = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n" \
          "    # BEGIN STARTER\n    # raise NotImplementedError\n    # END STARTER\n"
    assert learner_version(src) == "def f():\n    raise NotImplementedError\n"


@pytest.mark.parametrize("bad, message", [
    ("// BEGIN SOLUTION\nx\n", "never closed"),
    ("// END SOLUTION\n", "without its BEGIN"),
    ("// BEGIN SOLUTION\n// BEGIN STARTER\n", "inside an open SOLUTION"),
])
def test_unbalanced_markers_name_the_line(bad, message):
    with pytest.raises(RegionError, match=message):
        learner_version(bad, "lib.rs")
