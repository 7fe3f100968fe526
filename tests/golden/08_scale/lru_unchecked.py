# base: solution
# %% profile_cache_solution
# The library, trusted with any maxsize: lru_cache(maxsize=None) never forgets, and 0 or a
# negative number caches nothing.
def profile_cache(load, maxsize):
    return functools.lru_cache(maxsize=maxsize)(load)
