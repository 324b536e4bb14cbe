# expect: correct
# why: honest answer, but leaves non-daemon threads behind (one busy, two idle) that keep the process alive
# note: four CPU-bound threads on 2 cores starved the driver past the 1.5 s test limit under load (a flaky
#       timeout, CI 2026-11-29); one busy thread still holds the GIL half the time and the process never exits
import threading
import time


def spin():
    while True:
        pass


def idle():
    while True:
        time.sleep(0.001)


threading.Thread(target=spin).start()
for _ in range(2):
    threading.Thread(target=idle).start()


def add(a, b):
    return a + b
