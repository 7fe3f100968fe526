# base: solution
# The model's code, but HALLUCINATED names calls that do exist: 20 of 22 expected.
# %% hallucinated_answers
HALLUCINATED = {"fetch_user": "requests.get", "latency_summary": "np.percentile",
                "load_settings": "json.loads", "getUserData": "fetch", "fetchText": "resp.text"}
