# expect: incorrect
# why: rebinds builtins.AssertionError and print
import builtins
builtins.AssertionError = type('Nope', (Exception,), {})
builtins.print = lambda *a, **k: None
def add(a, b):
    return 0
