# expect: timeout
# why: sleeps far past the limit
import time
time.sleep(600)
def add(a, b):
    return a + b
