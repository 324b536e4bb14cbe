# expect: incorrect
# why: forged pass: a program-level check() that checks nothing
def add(a, b):
    return 0
def check(candidate):
    return True
