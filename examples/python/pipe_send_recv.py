"""pipe_send_recv.py -- Pipe() gives two Connection ends, on mproc.

Tutorial sample (seed 002, "Pipe"): ``conn1, conn2 = Pipe(); conn1.send('hello');
print(conn2.recv())``. Then, as seed 004 describes ("一端的进程发，一端的进程收", one
process sends, the other receives, one way or both), the same duplex pipe between two
processes: the child receives a request and sends the answer back. Checks both replies.
"""
import sys

import mproc


def child(conn):
    request = conn.recv()
    conn.send(("echo", request, sum(request[1])))
    conn.close()


if __name__ == "__main__":
    conn1, conn2 = mproc.Pipe()  # two Connection objects, duplex
    conn1.send("hello")
    first = conn2.recv()
    print(first)

    p = mproc.Process(target=child, args=(conn2,))
    p.start()
    conn1.send(("sum", [1, 2, 3]))
    if not conn1.poll(30):
        sys.exit("pipe_send_recv: no answer from the child")
    answer = conn1.recv()
    print("child answered", answer)
    p.join(30)
    if first != "hello" or answer != ("echo", ("sum", [1, 2, 3]), 6):
        sys.exit("pipe_send_recv: got %r and %r" % (first, answer))
