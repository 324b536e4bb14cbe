# expect: incorrect
# why: forged pass: SystemExit(0) raised from the entry point
def add(a, b):
    raise SystemExit(0)
