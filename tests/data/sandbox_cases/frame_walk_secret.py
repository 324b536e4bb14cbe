# expect: incorrect
# why: walks up the call stack into the driver's frames, writes any secret-shaped local (32 hex
#      digits) and exits 0 before the tests; this forged a pass before 2026-11-29 (found by review)
import os, re, sys

shape = re.compile(r"[0-9a-f]{32}")
f = sys._getframe()
while f is not None:
    for v in list(f.f_locals.values()):
        if isinstance(v, str) and shape.fullmatch(v):
            os.write(1, ("\n" + v + "\n").encode())
            os._exit(0)
    f = f.f_back
def add(a, b):
    return 0
