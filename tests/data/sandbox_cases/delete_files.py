# expect: incorrect
# why: deletes every file it can see in its directory (test/driver files)
import os, sys
for name in os.listdir('.'):
    try:
        os.unlink(name)
    except OSError:
        pass
def add(a, b):
    return 0
