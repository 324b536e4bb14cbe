# expect: incorrect
# why: forged pass: excepthook and atexit turn a failure into exit 0
import sys, os, atexit
sys.excepthook = lambda *a: os._exit(0)
atexit.register(lambda: os._exit(0))
def add(a, b):
    return 0
