# base: solution
# %% profile_cache_solution
# Bounded, but it forgets the oldest insertion, not the least recently used.
def profile_cache(load, maxsize):
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError("maxsize must be an int >= 1")
    cache = {}

    def get(key):
        if key not in cache:
            cache[key] = load(key)
            if len(cache) > maxsize:
                del cache[next(iter(cache))]
        return cache[key]

    return get
