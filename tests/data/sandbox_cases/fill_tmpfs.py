# expect: correct
# sandboxes: bwrap
# why: tries to fill /dev/shm and /tmp, whose pages are host memory that no rlimit counts; each is
#      a 64 MiB tmpfs, so the writes stop with ENOSPC and the answer is still right. Writing all
#      12 x 16 MiB to one of them means no cap: a fail (found by review, 2026-11-29; /dev/shm was
#      unbounded before). Local runs skip it: there /dev/shm is the host's.
import os

for d in ("/dev/shm", "/tmp"):
    written = 0
    try:
        for i in range(12):
            with open(f"{d}/fill{i}", "wb") as f:
                f.write(b"x" * (16 << 20))
            written += 1
    except OSError:
        pass
    for i in range(written + 1):
        try:
            os.unlink(f"{d}/fill{i}")
        except OSError:
            pass
    if written == 12:
        raise SystemExit(f"{d} took 192 MiB")
def add(a, b):
    return a + b
