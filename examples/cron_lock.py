#!/usr/bin/env python3
"""Seed 000's job: the same cron entry on every node, and each tick exactly one node runs the job.

    python3 examples/cron_lock.py --name backup --every 3600 -- ./backup.sh   # on every node
    python3 examples/cron_lock.py --name backup --once                         # one tick now, then exit

Ticks fall on multiples of --every (like cron). At each tick every node tries the lock once, without waiting; the one
that is granted runs the job, the others skip the tick. The winner does not release the lock when the job ends: the
lease runs for 90% of the period, so a node that reaches the tick late (a slow start, a clock a little behind) is still
refused, and the next tick finds the lock free again. A job that outlasts that is kept under the lock (refreshed)
until it ends, so two runs never overlap. Standard library only; see examples/lockhttp.py.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lockhttp import Client, Lock, split_command  # noqa: E402


def run_tick(client, args, tick):
    lock = Lock(client, args.name, ttl=args.every * 0.9, owner=args.owner, release_on_exit=False)
    if not lock.acquire():
        print("%s: tick %d: skipped, the lock is taken: another node has this tick" % (args.owner, tick), flush=True)
        return 0
    try:
        print("%s: tick %d: runs the job (fencing token %d)" % (args.owner, tick, lock.fencing_token), flush=True)
        if not args.command:
            return 0
        env = dict(os.environ, LOCK_FENCING_TOKEN=str(lock.fencing_token))
        return subprocess.call(args.command, env=env)
    finally:
        # Keep the lease until it runs out on its own: releasing now would let a late node run this tick again.
        lock.stop_refreshing()


def main():
    parser = argparse.ArgumentParser(usage="%(prog)s --name NAME [--every S] [--owner O] [--once] [--url URL] [-- COMMAND...]", description="Run a job once per tick across nodes, with a lock of the lock service.")
    parser.add_argument("--name", required=True, help="the job's lock name")
    parser.add_argument("--every", type=float, default=60.0, help="the period in seconds (default 60)")
    parser.add_argument("--owner", default="%s-%d" % (socket.gethostname(), os.getpid()), help="this node's name")
    parser.add_argument("--once", action="store_true", help="run one tick now and exit")
    parser.add_argument("--url", help="the API's base URL (default $LOCKHTTP_URL or http://127.0.0.1:8080)")
    options, args_command = split_command(sys.argv[1:])
    args = parser.parse_args(options)
    args.command = args_command
    if args.every < 1:
        parser.error("--every must be at least 1 second")

    client = Client(args.url)
    if args.once:
        return run_tick(client, args, int(time.time() // args.every))
    while True:
        next_tick = (int(time.time() // args.every) + 1) * args.every
        time.sleep(max(0.0, next_tick - time.time()))
        run_tick(client, args, int(next_tick // args.every))


if __name__ == "__main__":
    sys.exit(main())
