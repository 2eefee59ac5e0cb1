"""producer_consumer.py -- producer-consumer over a JoinableQueue, on mproc.

Tutorial sample (seed 004, "生产者消费者模型": producers and consumers never talk to each
other, only to a blocking queue that buffers between them; seed 002 names JoinableQueue,
whose ``task_done``/``join`` tell when every item was processed). Two producer processes
put 20 items each; two daemon consumer processes square them into a result Queue and call
task_done; the parent's ``q.join()`` returns once all 40 are done. Checks the results.
"""
import sys

import mproc


def producer(q, base):
    for i in range(base, base + 20):
        q.put(i)


def consumer(q, results):
    while True:
        item = q.get()
        results.put(item * item)
        q.task_done()


if __name__ == "__main__":
    q = mproc.JoinableQueue(8)  # small: producers block when consumers fall behind
    results = mproc.Queue()
    consumers = [mproc.Process(target=consumer, args=(q, results), daemon=True)
                 for _ in range(2)]
    producers = [mproc.Process(target=producer, args=(q, base)) for base in (0, 20)]
    for p in consumers + producers:
        p.start()
    for p in producers:
        p.join(30)
    q.join()  # every item put has been task_done()
    got = sorted(results.get(timeout=10) for _ in range(40))
    print("40 items consumed; first squares:", got[:6])
    for p in consumers:
        p.terminate()
        p.join(30)
    if got != sorted(i * i for i in range(40)):
        sys.exit("producer_consumer: wrong results %r" % (got,))
