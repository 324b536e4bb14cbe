# expect: incorrect
# why: forged pass: the entry point exits the process when called
import os
def add(a, b):
    os._exit(0)
