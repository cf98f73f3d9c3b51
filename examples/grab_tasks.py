#!/usr/bin/env python3
"""Seed 001's demo over the HTTP API: reset a queue, create 30 tasks, send 15 grabs at once, and show that every grab
got a different task, with how many each silo served (from the X-Served-By header). Through nginx, the grabs spread
round-robin over the silos, as seed 001's `curl -X POST /grab-task` spread over its FastAPI workers.

    python3 examples/grab_tasks.py                      # against $LOCKHTTP_URL (default http://127.0.0.1:8080)
    python3 examples/grab_tasks.py --expect-silos 3     # exit 1 unless all three silos served grabs

Exit status 0 only if every grab got a task and no two got the same one. Standard library only.
"""

import argparse
import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lockhttp import Client, ProblemError, duration, quote  # noqa: E402


def grab(client, queue, number, start, results):
    start.wait()
    began = time.monotonic()
    try:
        body = {"worker": "request-%d" % number, "leaseTtl": duration(300)}
        response = client.call("POST", "/v1/queues/%s/claim" % quote(queue), body)
        task = response.body if response.status == 200 else None
        results[number] = (task, response.served_by, time.monotonic() - began, None)
    except (ProblemError, OSError) as error:
        results[number] = (None, None, time.monotonic() - began, str(error))


def main():
    parser = argparse.ArgumentParser(description="Seed 001's task-grab demo over the lock service's HTTP API.")
    parser.add_argument("--queue", default="seed-001-tasks", help="the work queue (default seed-001-tasks)")
    parser.add_argument("--tasks", type=int, default=30, help="tasks to create (default 30)")
    parser.add_argument("--grabs", type=int, default=15, help="concurrent grabs (default 15)")
    parser.add_argument("--expect-silos", type=int, default=0, help="fail unless this many silos served grabs")
    parser.add_argument("--url", help="the API's base URL (default $LOCKHTTP_URL or http://127.0.0.1:8080)")
    args = parser.parse_args()
    client = Client(args.url)
    path = "/v1/queues/%s" % quote(args.queue)

    print("Resetting all tasks...")
    purged = client.call("POST", path + "/purge").body["purged"]
    print("  removed %d tasks" % purged)

    print("Creating %d tasks..." % args.tasks)
    created = client.call("POST", path + "/tasks", {"tasks": [{"payload": "Task #%d" % (i + 1)} for i in range(args.tasks)]})
    print("  created %d tasks (served by %s)" % (len(created.body["taskIds"]), created.served_by))

    print("Launching %d concurrent task-grab requests..." % args.grabs)
    results = {}
    start = threading.Event()
    threads = [threading.Thread(target=grab, args=(client, args.queue, n, start, results)) for n in range(1, args.grabs + 1)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    start.set()
    for thread in threads:
        thread.join()
    total = time.monotonic() - began

    per_silo = collections.Counter()
    grabbed = []
    for number in sorted(results):
        task, served_by, elapsed, error = results[number]
        if task is not None:
            grabbed.append(task["taskId"])
            per_silo[served_by or "?"] += 1
            print("  request #%2d: %-10s task %-6s grabbed via %-10s (%.2fs)" % (number, task["payload"], task["taskId"], served_by, elapsed))
        else:
            print("  request #%2d: no task (%s)" % (number, error or "none pending"))

    distinct = len(set(grabbed))
    print("Summary")
    print("  requests:   %d" % args.grabs)
    print("  successful: %d" % len(grabbed))
    print("  distinct:   %d%s" % (distinct, "" if distinct == len(grabbed) else "   <-- the same task was handed out twice!"))
    print("  total time: %.2fs" % total)
    print("  tasks per silo (X-Served-By):")
    for silo, count in sorted(per_silo.items()):
        print("    %-12s %2d  %s" % (silo, count, "#" * count))

    ok = len(grabbed) == args.grabs and distinct == len(grabbed)
    if args.expect_silos and len(per_silo) < args.expect_silos:
        print("  only %d of %d silos served grabs" % (len(per_silo), args.expect_silos))
        ok = False
    print("grab_tasks: %s" % ("every grab got a different task" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
