# expect: incorrect|timeout
# why: unbounded recursion with the recursion limit lifted
import sys
sys.setrecursionlimit(10 ** 7)
def f(n):
    return f(n + 1) + 1
f(0)
def add(a, b):
    return a + b
