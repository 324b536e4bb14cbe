# expect: correct
# why: honest answer, but leaves busy non-daemon threads behind
import threading
def spin():
    while True:
        pass
for _ in range(4):
    threading.Thread(target=spin).start()
def add(a, b):
    return a + b
