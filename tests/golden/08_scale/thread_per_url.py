# base: solution
# %% fetch_many_solution
# Fast, and every URL at once: the limit is ignored, which is the herd at 10x load.
def fetch_many(urls, limit, timeout=5.0):
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("limit must be an int >= 1")

    def one(url):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return {"url": url, "status": response.status, "body": response.read(),
                        "error": None}
        except urllib.error.HTTPError as exc:
            exc.close()
            return {"url": url, "status": exc.code, "body": None, "error": f"HTTP {exc.code}"}
        except Exception as exc:
            return {"url": url, "status": None, "body": None, "error": str(exc)}

    urls = list(urls)
    if not urls:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(one, urls))
