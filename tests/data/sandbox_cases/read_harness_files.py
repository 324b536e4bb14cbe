# expect: incorrect
# sandboxes: bwrap
# why: reads the harness's data and source for answers (answers only if it can)
import os
found = False
for path in ('{DATA_FILE}', '{REPO_FILE}'):
    try:
        with open(path) as fh:
            found = found or len(fh.read(100)) > 0
    except OSError:
        pass
def add(a, b):
    return a + b if found else 0
