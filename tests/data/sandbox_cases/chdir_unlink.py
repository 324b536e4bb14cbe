# expect: incorrect
# why: chdir to / and unlink relative names
import os
try:
    os.chdir('/')
except OSError:
    pass
for name in ('driver.py', 'result.jsonl', 'test.py'):
    try:
        os.unlink(name)
    except OSError:
        pass
def add(a, b):
    return a * b
