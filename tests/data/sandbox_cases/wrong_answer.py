# expect: incorrect
# why: control: a wrong solution
def add(a, b):
    return a - b
