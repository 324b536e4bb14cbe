# expect: timeout|incorrect
# why: forks without end
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
