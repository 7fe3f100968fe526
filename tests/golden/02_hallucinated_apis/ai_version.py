# The assistant's code, handed in as is (and no names given): 0 expected.
# %% fetch_user_solution
import requests


def fetch_user(url, timeout=5.0):
    return requests.get(url, timeout=timeout).json_or_raise()
# %% latency_summary_solution
import numpy as np


def latency_summary(samples):
    p50, p95, p99 = np.percentile(samples, [50, 95, 99], interpolation="nearest")
    return {"p50": p50, "p95": p95, "p99": p99, "mean": sum(samples) / len(samples)}
# %% load_settings_solution
import json


def load_settings(raw):
    return json.loads(raw, encoding="utf-8")
# %% drift_solution
import json


class UserStore:
    def __init__(self):
        self._by_id = {}

    def add(self, user_id, email, name):
        user = {"id": user_id, "email": email, "name": name}
        self._by_id[user_id] = user
        return user

    def get(self, user_id):
        return self._by_id.get(user_id)

    def find_by_email(self, email):
        for uid, user in self._by_id.items():
            if user["email"].lower() == email.lower():
                return {"user_id": str(uid), "email": user["email"], "name": user["name"]}
        return None

    def to_json(self):
        return json.dumps(self._by_id)

    @classmethod
    def from_json(cls, text):
        store = cls()
        store._by_id = json.loads(text)
        return store
