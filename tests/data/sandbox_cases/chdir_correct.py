# expect: correct
# why: changing directory does not break an honest solution
import os
os.chdir('/')
def add(a, b):
    return a + b
