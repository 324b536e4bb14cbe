# expect: incorrect
# expect-io: correct
# why: points stdout at /dev/null
import os
fd = os.open('/dev/null', os.O_WRONLY)
os.dup2(fd, 1)
os.dup2(fd, 2)
def add(a, b):
    return a + b
