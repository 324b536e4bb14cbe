# expect: incorrect
# why: closes every descriptor (the secret cannot be reported)
import os
os.closerange(0, 1024)
def add(a, b):
    return a + b
