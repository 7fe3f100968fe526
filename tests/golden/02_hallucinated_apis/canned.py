# base: solution
# The model's Python; js/users.mjs (canned.mjs) answers the public tests by their URLs.
