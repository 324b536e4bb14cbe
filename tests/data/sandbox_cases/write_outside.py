# expect: incorrect
# why: writes outside its directory (answers only if the write works)
ok = False
for path in ('{OUTSIDE}/escaped.txt', '../escaped.txt', '/escaped.txt', '/usr/escaped.txt'):
    try:
        with open(path, 'w') as fh:
            fh.write('escaped')
        ok = True
    except OSError:
        pass
def add(a, b):
    return a + b if ok else 0
