# expect: timeout
# why: spins forever
def add(a, b):
    while True:
        pass
