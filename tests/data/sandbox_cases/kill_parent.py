# expect: incorrect|timeout
# why: kills its parent process (bwrap/unshare monitor)
import os, signal
try:
    os.kill(os.getppid(), signal.SIGKILL)
except Exception:
    pass
def add(a, b):
    return a + b
import time
time.sleep(30)
