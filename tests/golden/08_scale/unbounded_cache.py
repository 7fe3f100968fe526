# base: solution
# %% profile_cache_solution
# The assistant's cache with maxsize checked and then ignored: never forgets.
def profile_cache(load, maxsize):
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError("maxsize must be an int >= 1")
    cache = {}

    def get(key):
        if key not in cache:
            cache[key] = load(key)
        return cache[key]

    return get
