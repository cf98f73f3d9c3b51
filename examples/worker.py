#!/usr/bin/env python3
"""Seed 001's worker, over the work-queue routes: claim a task, work on it, complete it; standard library only.

    python3 examples/worker.py --queue mail                          # prints each payload
    python3 examples/worker.py --queue mail -- ./send-mail.sh        # the payload on the command's stdin

Each claim is a long-poll (up to 30 s) in the queue's fair wait line, so an idle worker costs one request per 30 s and
gets a task the moment one is enqueued. While a task runs its claim is extended every third of the lease; the command's
exit status 0 completes the task, anything else abandons it with the end of the command's stderr as its error (the
queue tries it again, and after its last attempt keeps it as dead). Processing is at least once: a worker that dies
mid-task loses its claim when the lease ends and the task goes to another worker.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lockhttp import Client, KeepAlive, ProblemError, new_lease_id, split_command  # noqa: E402


def work_on(client, args, task, lease_id):
    extend = lambda: client.extend(args.queue, task["taskId"], lease_id, args.lease)
    keep_alive = KeepAlive(extend, args.lease / 3).start()
    try:
        if args.command:
            env = dict(os.environ, TASK_ID=task["taskId"], TASK_CLAIM_TOKEN=str(task["claimToken"]))
            done = subprocess.run(args.command, input=task["payload"].encode("utf-8"), stderr=subprocess.PIPE, env=env)
            sys.stderr.buffer.write(done.stderr)
            failed = done.stderr.decode("utf-8", "replace")[-2048:] or "exit status %d" % done.returncode
            error = None if done.returncode == 0 else failed
        else:
            print("%s: task %s: %s" % (args.worker, task["taskId"], task["payload"]), flush=True)
            error = None
    finally:
        keep_alive.stop()

    if keep_alive.lost.is_set():
        print("%s: task %s: the claim was lost while working; not reporting it" % (args.worker, task["taskId"]), file=sys.stderr)
        return False
    try:
        if error is None:
            client.complete(args.queue, task["taskId"], lease_id)
        else:
            client.abandon(args.queue, task["taskId"], lease_id, error)
    except ProblemError as refused:
        if refused.kind != "lease-lost":
            raise
        print("%s: task %s: the claim had ended; another worker has it" % (args.worker, task["taskId"]), file=sys.stderr)
        return False
    return error is None


def main():
    parser = argparse.ArgumentParser(usage="%(prog)s --queue NAME [--worker W] [--lease S] [--max-tasks N] [--idle-exit S] [--url URL] [-- COMMAND...]", description="Work on the tasks of a work queue of the lock service (HTTP API).")
    parser.add_argument("--queue", required=True, help="the queue's name")
    parser.add_argument("--worker", default="%s-%d" % (socket.gethostname(), os.getpid()), help="this worker's name")
    parser.add_argument("--lease", type=float, default=60.0, help="claim lease in seconds (default 60), extended while working")
    parser.add_argument("--max-tasks", type=int, default=0, help="stop after this many tasks (default 0: never)")
    parser.add_argument("--idle-exit", type=float, default=0.0, help="stop after this many seconds without a task (default 0: never)")
    parser.add_argument("--url", help="the API's base URL (default $LOCKHTTP_URL or http://127.0.0.1:8080)")
    options, args_command = split_command(sys.argv[1:])
    args = parser.parse_args(options)
    args.command = args_command

    client = Client(args.url)
    handled = 0
    idle_since = time.monotonic()
    while args.max_tasks == 0 or handled < args.max_tasks:
        wait = 30.0 if args.idle_exit == 0 else max(0.0, min(30.0, idle_since + args.idle_exit - time.monotonic()))
        # One lease id per claim, sent again if this call is retried: a retry never takes a second task.
        task = client.claim(args.queue, args.worker, args.lease, new_lease_id(), wait=wait)
        if task is None:
            if args.idle_exit and time.monotonic() - idle_since >= args.idle_exit:
                break
            continue
        work_on(client, args, task, task["leaseId"])
        handled += 1
        idle_since = time.monotonic()
    print("%s: handled %d tasks" % (args.worker, handled), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
