"""A client for the lock service's HTTP API in plain Python 3 (standard library only).

    from lockhttp import Client, Lock
    client = Client()                       # LOCKHTTP_URL (default http://127.0.0.1:8080), LOCKHTTP_KEY
    with Lock(client, "backup", ttl=30):    # held, and refreshed in the background, inside the block
        run_backup()

Every call goes to one silo (or nginx in front of all of them); errors arrive as RFC 9457 problem details and are
raised as ProblemError with the problem's kind ("busy", "not-holder", "lease-lost", ...). A lock or a claim is
identified by its lease id, made here once per attempt and sent again on every retry, so a retry after a lost answer
gets the same grant back, never a second one.
"""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import secrets
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8080"

# The server answers a long-poll after at most 55 s; the socket waits a little longer than that.
LONGEST_WAIT = 55.0
ANSWER_ALLOWANCE = 15.0


def duration(seconds):
    """A duration as the API writes it ("30s", "1500ms") from seconds."""
    milliseconds = int(round(seconds * 1000))
    if milliseconds < 0:
        raise ValueError("a duration must not be negative (was %r s)" % seconds)
    return "%ds" % (milliseconds // 1000) if milliseconds % 1000 == 0 else "%dms" % milliseconds


def new_lease_id():
    """A fresh lease id: 256 random bits, base64url (the server accepts 22 to 128 such characters)."""
    return secrets.token_urlsafe(32)


def quote(name):
    return urllib.parse.quote(name, safe="")


def split_command(argv):
    """(options, command): the arguments before `--` and the command after it ([] without `--`)."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:]
    return argv, []


class ProblemError(Exception):
    """The server refused the call: status, the problem's kind (last part of its type) and the whole problem."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}
        self.kind = str(self.problem.get("type", "")).rsplit("/", 1)[-1] or "http-%d" % status
        detail = self.problem.get("detail") or self.problem.get("title") or "HTTP %d" % status
        super().__init__("%s (%d): %s" % (self.kind, status, detail))


class Response:
    """A successful answer: status, JSON body (None for 204) and the silo that served it (X-Served-By)."""

    def __init__(self, status, body, served_by):
        self.status = status
        self.body = body
        self.served_by = served_by


class Client:
    """The HTTP API at one base URL, with an optional API key (sent as a Bearer token, never printed)."""

    def __init__(self, url=None, key=None):
        self.url = (url or os.environ.get("LOCKHTTP_URL") or DEFAULT_URL).rstrip("/")
        self._key = key if key is not None else os.environ.get("LOCKHTTP_KEY")

    def call(self, method, path, body=None, timeout=LONGEST_WAIT + ANSWER_ALLOWANCE):
        """Sends one request; returns a Response, or raises ProblemError (HTTP errors) or OSError (no answer)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._key:
            request.add_header("Authorization", "Bearer " + self._key)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
                return Response(answer.status, json.loads(raw) if raw else None, answer.headers.get("X-Served-By"))
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                problem = json.loads(raw) if raw else {}
            except ValueError:
                problem = {"detail": raw.decode("utf-8", "replace")[:200]}
            raise ProblemError(error.code, problem) from None

    # Locks -------------------------------------------------------------------------------------------------------

    def acquire(self, name, ttl, lease_id, owner=None, wait=0.0):
        """One acquire call (a long-poll up to `wait` s, at most 55): the grant's body, or None when busy."""
        body = {"ttl": duration(ttl), "leaseId": lease_id, "wait": duration(min(wait, LONGEST_WAIT))}
        if owner:
            body["owner"] = owner
        try:
            return self.call("POST", "/v1/locks/%s/acquire" % quote(name), body).body
        except ProblemError as error:
            if error.kind == "busy":
                return None
            raise

    def refresh(self, name, lease_id, ttl):
        return self.call("POST", "/v1/locks/%s/refresh" % quote(name), {"leaseId": lease_id, "ttl": duration(ttl)}).body

    def release(self, name, lease_id):
        return self.call("POST", "/v1/locks/%s/release" % quote(name), {"leaseId": lease_id}).body

    # Work queues -------------------------------------------------------------------------------------------------

    def enqueue(self, queue, payloads):
        tasks = [{"payload": payload} for payload in payloads]
        return self.call("POST", "/v1/queues/%s/tasks" % quote(queue), {"tasks": tasks}).body["taskIds"]

    def claim(self, queue, worker, lease_ttl, lease_id, wait=0.0):
        """One claim call (a long-poll up to `wait` s, at most 55): the claimed task, or None when none came."""
        body = {"worker": worker, "leaseTtl": duration(lease_ttl), "leaseId": lease_id, "wait": duration(min(wait, LONGEST_WAIT))}
        response = self.call("POST", "/v1/queues/%s/claim" % quote(queue), body)
        return response.body if response.status == 200 else None

    def complete(self, queue, task_id, lease_id):
        return self.call("POST", "/v1/queues/%s/tasks/%s/complete" % (quote(queue), quote(task_id)), {"leaseId": lease_id}).body

    def abandon(self, queue, task_id, lease_id, error=None):
        body = {"leaseId": lease_id}
        if error:
            body["error"] = error[-2048:]
        return self.call("POST", "/v1/queues/%s/tasks/%s/abandon" % (quote(queue), quote(task_id)), body).body

    def extend(self, queue, task_id, lease_id, lease_ttl):
        body = {"leaseId": lease_id, "leaseTtl": duration(lease_ttl)}
        return self.call("POST", "/v1/queues/%s/tasks/%s/extend" % (quote(queue), quote(task_id)), body).body


class KeepAlive:
    """Calls `renew` every `interval` s in a daemon thread until stopped; sets `lost` when a renewal is refused."""

    def __init__(self, renew, interval):
        self._renew = renew
        self._interval = interval
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self):
        while not self._stop.wait(self._interval):
            try:
                self._renew()
            except ProblemError:
                # Refused (not-holder, lease-lost): the lease is gone; whoever holds it now must not be disturbed.
                self.lost.set()
                return
            except OSError:
                # No answer this time; the lease outlives a few missed renewals (interval = a third of it).
                continue


class LockNotAcquired(Exception):
    pass


class Lock:
    """A lock held inside a `with` block, refreshed every third of its TTL; `lost` is set if a refresh is refused.

    wait: how long to wait for the lock in all (long-polls of at most 55 s each, keeping the place in the lock's
    fair queue); 0 tries once. Entering raises LockNotAcquired when the lock was not granted within it.
    release_on_exit: False leaves the lease to run out on its own (a cron job that must not run twice in one tick).
    """

    def __init__(self, client, name, ttl=30.0, wait=0.0, owner=None, release_on_exit=True):
        self.client = client
        self.name = name
        self.ttl = float(ttl)
        self.wait = float(wait)
        self.owner = owner
        self.release_on_exit = release_on_exit
        self.lease_id = new_lease_id()
        self.grant = None
        self._keep_alive = None

    @property
    def lost(self):
        return self._keep_alive.lost if self._keep_alive else threading.Event()

    @property
    def fencing_token(self):
        return self.grant["fencingToken"] if self.grant else None

    def acquire(self):
        """True once granted (and refreshed from then on); False when the wait ended first."""
        deadline = time.monotonic() + self.wait
        while True:
            left = max(0.0, deadline - time.monotonic())
            self.grant = self.client.acquire(self.name, self.ttl, self.lease_id, self.owner, wait=left)
            if self.grant is not None:
                renew = lambda: self.client.refresh(self.name, self.lease_id, self.ttl)
                self._keep_alive = KeepAlive(renew, self.ttl / 3).start()
                return True
            if left <= 0:
                return False

    def release(self):
        self.stop_refreshing()
        if self.grant is not None:
            self.client.release(self.name, self.lease_id)

    def stop_refreshing(self):
        if self._keep_alive:
            self._keep_alive.stop()

    def __enter__(self):
        if not self.acquire():
            raise LockNotAcquired("lock %r was not granted within %.1f s" % (self.name, self.wait))
        return self

    def __exit__(self, *exc_info):
        if self.release_on_exit:
            self.release()
        else:
            self.stop_refreshing()
        return False
