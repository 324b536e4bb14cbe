# expect: incorrect
# why: forged pass: sys.exit(0) before the tests
import sys
def add(a, b):
    return 0
sys.exit(0)
