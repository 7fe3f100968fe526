"""Grading by attack: the components, payloads and readings of chapter 07 (insecure defaults).

A learner's function runs in a child process (grader/snippets/python.py) wrapped by one of
the course's adapters (adapters.py: a real sqlite connection for ``find_user(conn, name)``,
logging at DEBUG to the captured stderr). The tests, in the grading process, attack it with
real things and read the result from outside:

* database.py: a sqlite file in a temporary folder, its rows, and a digest of its contents
  (read-only), so a payload that changed the database is seen whatever the function says;
* pickles.py: a pickle that runs code when loaded, which only creates a marker file in the
  test's temporary folder: the marker appearing is the proof, checked here;
* leaks.py: a secret searched, in the forms it would be written in, in what the child
  printed and logged, in exception text and in returned objects;
* cookies.py: a Set-Cookie header read as a browser's cookie parser reads it;
* constant_time.py: the one property read from the code (a MAC compared with ``==``):
  a timing difference of nanoseconds cannot be measured through a pipe on a shared machine;
* bandit.py: bandit's findings on the learner's source, shown as information, never points.

No payload writes outside a temporary folder, and the network is loopback only.
"""
