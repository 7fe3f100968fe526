# base: solution
# %% fetch_many_solution
# Bounded, and returns when the time is up while the slow requests go on in the background.
def fetch_many(urls, limit, timeout=5.0):
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("limit must be an int >= 1")

    def one(url):
        with urllib.request.urlopen(url) as response:
            return {"url": url, "status": response.status, "body": response.read(),
                    "error": None}

    urls = list(urls)
    if not urls:
        return []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=limit)
    futures = [pool.submit(one, url) for url in urls]
    concurrent.futures.wait(futures, timeout=timeout + 1)
    pool.shutdown(wait=False)
    results = []
    for url, future in zip(urls, futures):
        if not future.done():
            results.append({"url": url, "status": None, "body": None, "error": "timed out"})
        elif future.exception() is not None:
            exc = future.exception()
            results.append({"url": url, "status": getattr(exc, "code", None), "body": None,
                            "error": str(exc)})
        else:
            results.append(future.result())
    return results
