"""`--scheduler`: submissions spread over a dask.distributed LocalCluster of 2 workers, the
gradebook written by the parent alone (slow: kernels run)."""

from __future__ import annotations

import json
import os

import pytest

from grader.classgrade import Options, autograde_class
from tests.test_classgrade_support import HONEST, A, gradebook_scores, new_course, submit

pytestmark = pytest.mark.slow


def test_local_cluster_of_two_workers_grades_like_local_threads(tmp_path):
    distributed = pytest.importorskip("distributed")
    course = new_course(tmp_path / "course", quick_speed=True)
    kinds = {"ann": "solution", "bob": "adversarial/patched_helpers", "cat": "boundary_bug"}
    for student, kind in kinds.items():
        submit(course, student, kind)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
        outcome = autograde_class(course, A, Options(
            scheduler=cluster.scheduler_address, feedback=False, progress=False,
            cell_timeout=30, timeout=120))
    assert [(r.student, r.status) for r in outcome.rows] == [
        ("ann", "graded"), ("bob", "graded"), ("cat", "graded")]
    scores = {s: sum(g.values()) for s, g in gradebook_scores(course).items()}
    assert scores == {"ann": HONEST["solution"], "bob": 0, "cat": HONEST["boundary_bug"]}
    results = next((course / ".cache" / "classgrade").glob(f"{A}-*/results"))
    ran_on = {json.loads((results / f"{s}.json").read_text())["result"]["ran_on"]
              for s in kinds}
    pids = {int(r.rsplit(":", 1)[1]) for r in ran_on}
    assert pids <= worker_pids and os.getpid() not in pids  # ran on the cluster, not here
