# base: solution
# %% fetch_many_solution
# Every result right, one request after another: N latencies, whatever the limit.
def fetch_many(urls, limit, timeout=5.0):
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("limit must be an int >= 1")
    results = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                results.append({"url": url, "status": response.status,
                                "body": response.read(), "error": None})
        except urllib.error.HTTPError as exc:
            results.append({"url": url, "status": exc.code, "body": None,
                            "error": f"HTTP {exc.code}"})
            exc.close()
        except Exception as exc:
            results.append({"url": url, "status": None, "body": None, "error": str(exc)})
    return results
