"""The seed-001 system (shared/seeds/001: "Task Locking Demo with PostgreSQL"), rebuilt from its README as the peer
of the benchmark's HTTP scenario (h): a FastAPI worker that grabs a task with SELECT ... FOR UPDATE SKIP LOCKED, holds
the row lock while it works, and marks it completed in the same transaction. Three of these run behind nginx
round-robin, as in the seed's docker compose. The benchmark gives it no work (the seed sleeps 2 s).

Run: DATABASE_URL=postgresql://... APP_NAME=WORKER-1 uvicorn app:app --port 8001 (from this folder).
Debian packages: python3-fastapi, python3-uvicorn, python3-psycopg2.
"""

import os
from contextlib import contextmanager

from fastapi import FastAPI
from psycopg2.pool import ThreadedConnectionPool

APP_NAME = os.environ.get("APP_NAME", "WORKER")
# Its own table name, so it never meets the benchmark's other PostgreSQL peers in the shared database.
TABLE = "seed001_tasks"

# FastAPI runs plain `def` endpoints on its thread pool (40 threads): one pooled connection per thread at most.
pool = ThreadedConnectionPool(1, 40, os.environ["DATABASE_URL"])
app = FastAPI(title=APP_NAME)


@contextmanager
def transaction():
    connection = pool.getconn()
    try:
        with connection:  # commits on success, rolls back on an exception
            with connection.cursor() as cursor:
                yield cursor
    finally:
        pool.putconn(connection)


with transaction() as setup:
    setup.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " id SERIAL PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'PENDING',"
        " worker TEXT, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


@app.get("/")
def root():
    return {"worker": APP_NAME}


@app.post("/create-tasks")
def create_tasks(count: int = 10):
    with transaction() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (title) SELECT 'Task ' || n FROM generate_series(1, %s) AS n", (count,))
    return {"created": count, "worker": APP_NAME}


@app.get("/tasks")
def tasks():
    with transaction() as cursor:
        cursor.execute(f"SELECT id, title, status, worker FROM {TABLE} ORDER BY id")
        return [{"id": i, "title": t, "status": s, "worker": w} for i, t, s, w in cursor.fetchall()]


@app.post("/grab-task")
def grab_task():
    with transaction() as cursor:
        cursor.execute(
            f"SELECT id, title FROM {TABLE} WHERE status = 'PENDING' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        row = cursor.fetchone()
        if row is None:
            return {"message": "No pending tasks available", "worker": APP_NAME}
        task_id, title = row
        cursor.execute(f"UPDATE {TABLE} SET status = 'PROCESSING', worker = %s, updated_at = now() WHERE id = %s", (APP_NAME, task_id))
        # The seed's work (time.sleep(2)) happens here, under the row lock; the benchmark's tasks have no work.
        cursor.execute(f"UPDATE {TABLE} SET status = 'COMPLETED', updated_at = now() WHERE id = %s", (task_id,))
    return {"task_id": task_id, "title": title, "worker": APP_NAME}


@app.delete("/reset-tasks")
def reset_tasks():
    with transaction() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} RESTART IDENTITY")
    return {"reset": True, "worker": APP_NAME}
