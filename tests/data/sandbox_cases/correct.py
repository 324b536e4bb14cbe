# expect: correct
# why: control: an honest solution
def add(a, b):
    return a + b
