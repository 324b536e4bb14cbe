# expect: correct
# why: stops its parent and pid 1 and SIGKILLs every process it may signal, then answers correctly;
#      the fork server is pid 1 and the program's parent, so this must change nothing (2026-11-29)
import os, signal
for pid in {os.getppid(), 1} - {0, os.getpid()}:  # 0 would be its own process group
    try:
        os.kill(pid, signal.SIGSTOP)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
def add(a, b):
    return a + b
