# expect: incorrect
# why: forged pass: printing success markers
import os
print('passed')
os.write(1, b'passed\nOK\n' + b'0' * 32 + b'\n')
def add(a, b):
    return 0
