# Each hallucinated name swapped for the real one, and nothing else: the names are right
# (2 points), every fixed function still fails the contract's edge cases: 2 expected.
# %% hallucinated_answers
HALLUCINATED = {"fetch_user": "json_or_raise", "latency_summary": "interpolation",
                "load_settings": "encoding", "getUserData": "json_safe", "fetchText": "timeout"}
# %% fetch_user_solution
import requests


def fetch_user(url, timeout=5.0):
    return requests.get(url).json()
# %% latency_summary_solution
import numpy as np


def latency_summary(samples):
    p50, p95, p99 = np.percentile(samples, [50, 95, 99], method="nearest")
    return {"p50": p50, "p95": p95, "p99": p99, "mean": sum(samples) / len(samples)}
# %% load_settings_solution
import json


def load_settings(raw):
    return json.loads(raw)
