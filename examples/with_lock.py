#!/usr/bin/env python3
"""Run a command while holding a lock, like seed 002's `with_lock` (Dynalock): standard library only.

    python3 examples/with_lock.py backup -- ./backup.sh           # refused at once if someone holds 'backup'
    python3 examples/with_lock.py backup --wait 120 -- ./backup.sh  # or wait for it, first come first served

In your own code (examples/lockhttp.py):

    with Lock(Client(), "backup", ttl=30) as lock:   # refreshed every 10 s while the block runs
        run_backup(fencing_token=lock.fencing_token)

The lease is refreshed every third of its TTL; if a refresh is refused (the lease ran out, say the process was
frozen), the command is stopped, since someone else may hold the lock now. Exit status: the command's, 75 when the lock
was not granted, 70 when the lease was lost.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lockhttp import Client, Lock, LockNotAcquired, split_command  # noqa: E402

NOT_ACQUIRED = 75  # EX_TEMPFAIL: try again later
LEASE_LOST = 70


def main():
    parser = argparse.ArgumentParser(usage="%(prog)s NAME [--ttl S] [--wait S] [--owner O] [--url URL] -- COMMAND...", description="Run a command while holding a lock of the lock service (HTTP API).")
    parser.add_argument("name", help="the lock's name")
    parser.add_argument("--ttl", type=float, default=30.0, help="lease length in seconds (default 30); refreshed every third")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the lock (default 0: try once)")
    parser.add_argument("--owner", default="%s-%d" % (socket.gethostname(), os.getpid()), help="a label for people")
    parser.add_argument("--url", help="the API's base URL (default $LOCKHTTP_URL or http://127.0.0.1:8080)")
    options, command = split_command(sys.argv[1:])
    args = parser.parse_args(options)
    if not command:
        parser.error("give the command to run after --")

    lock = Lock(Client(args.url), args.name, ttl=args.ttl, wait=args.wait, owner=args.owner)
    try:
        with lock:
            print("with_lock: %s holds %r (fencing token %d)" % (args.owner, args.name, lock.fencing_token), flush=True)
            env = dict(os.environ, LOCK_FENCING_TOKEN=str(lock.fencing_token))
            child = subprocess.Popen(command, env=env)
            while child.poll() is None:
                if lock.lost.wait(0.2):
                    child.send_signal(signal.SIGTERM)
                    child.wait()
                    print("with_lock: the lease on %r was lost; the command was stopped" % args.name, file=sys.stderr)
                    return LEASE_LOST
            return child.returncode
    except LockNotAcquired as refused:
        print("with_lock: %s" % refused, file=sys.stderr)
        return NOT_ACQUIRED


if __name__ == "__main__":
    sys.exit(main())
