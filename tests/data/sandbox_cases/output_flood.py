# expect: incorrect
# why: floods stdout at the descriptor level
import os
block = b'x' * 65536
while True:
    os.write(1, block)
