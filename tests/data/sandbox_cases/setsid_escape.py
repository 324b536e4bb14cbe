# expect: correct
# why: honest answer, but a child leaves the process group with os.setsid and lingers
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
def add(a, b):
    return a + b
