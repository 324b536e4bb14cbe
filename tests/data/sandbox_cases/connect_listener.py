# expect: incorrect
# why: connects to a listener the test opens on 127.0.0.1 (answers only if it gets through)
import socket
try:
    s = socket.create_connection(('127.0.0.1', {PORT}), timeout=2)
    s.sendall(b'escaped')
    def add(a, b):
        return a + b
except OSError:
    def add(a, b):
        return 0
