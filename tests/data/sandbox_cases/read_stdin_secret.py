# expect: incorrect
# why: reads stdin hoping to find the secret
import os, sys
try:
    data = os.read(0, 1 << 20)
    os.write(1, data)
except OSError:
    pass
print(sys.stdin.read())
def add(a, b):
    return 0
