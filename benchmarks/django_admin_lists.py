"""The Django admin's list pages on 100,000 rows: how long one page takes, with Django's test
client (the whole request: session, permissions, query, count, template), on SQLite and
PostgreSQL, with the indexes of migration 0002 and without them.

Each database runs in a child process (Django is configured once per process): it migrates
a fresh database, inserts ``--rows`` tracked payments and as many inbox entries, then times
each page (one warm-up, then the median of ``--repeat`` requests), drops the admin's
indexes and times them again. PostgreSQL is ``LIGDICASH_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); the run uses its own database and drops it.

    python benchmarks/django_admin_lists.py [--rows 100000] [--repeat 5] [--dbs sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("LIGDICASH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGES = [
    ("payments: newest first", "/admin/ligdicash/trackedpayment/"),
    ("payments: status = pending", "/admin/ligdicash/trackedpayment/?status=pending"),
    ("payments: kind = client_payout", "/admin/ligdicash/trackedpayment/?kind=client_payout"),
    ("payments: search a reference", "/admin/ligdicash/trackedpayment/?q=order-00421"),
    ("payments: the middle page", "/admin/ligdicash/trackedpayment/?p={page}"),
    ("inbox: newest first", "/admin/ligdicash/inboxmessage/"),
    ("inbox: state = pending", "/admin/ligdicash/inboxmessage/?state=pending"),
    ("inbox: search a digest", "/admin/ligdicash/inboxmessage/?q={digest}"),
]
ADMIN_INDEXES = [
    "ligdicash_dj_inbox_received",
    "ligdicash_dj_payments_created",
    "ligdicash_dj_payments_status",
    "ligdicash_dj_payments_kind",
]


def child(db: str, rows: int, repeat: int) -> dict[str, dict[str, float]]:
    sys.path.insert(0, str(HERE.parent / "tests" / "django_admin"))
    from admin_project import configure, databases, fill_inbox, fill_payments

    pg_name = f"ligdicash_bench_admin_{secrets.token_hex(4)}"
    if db == "postgresql":
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
    folder = tempfile.mkdtemp(prefix="ligdicash-admin-bench-")
    try:
        configure(
            databases(
                db, sqlite_path=os.path.join(folder, "db.sqlite3"), pg_url=PG_URL, pg_name=pg_name
            )
        )
        from django.contrib.auth.models import User
        from django.db import connection
        from django.test import Client

        now = time.time()
        fill_payments(rows, now=now)
        fill_inbox(rows, now=now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        client = Client()
        client.force_login(User.objects.create_superuser("bench", password="bench-only"))
        results: dict[str, dict[str, float]] = {}
        for indexed in (True, False):
            if not indexed:
                with connection.cursor() as cursor:
                    for name in ADMIN_INDEXES:
                        cursor.execute(f"DROP INDEX {name}")
                    cursor.execute("ANALYZE")
            digest = hashlib.sha256(str(rows // 2).encode()).hexdigest()[:12]
            for label, page in PAGES:
                url = page.format(digest=digest, page=max(1, rows // 100))
                assert client.get(url).status_code == 200, url
                times, sql = [], []
                for _ in range(repeat):
                    spent = [0.0]

                    def timed(execute: Any, *args: Any, spent: list[float] = spent) -> Any:
                        began = time.perf_counter()
                        try:
                            return execute(*args)
                        finally:
                            spent[0] += time.perf_counter() - began

                    started = time.perf_counter()
                    with connection.execute_wrapper(timed):
                        response = client.get(url)
                    times.append(time.perf_counter() - started)
                    sql.append(spent[0])
                    assert response.status_code == 200, url
                key = "indexed" if indexed else "without"
                results.setdefault(label, {})[key] = statistics.median(times) * 1000
                results[label][key + " sql"] = statistics.median(sql) * 1000
        return results
    finally:
        if db == "postgresql":
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.repeat)))
        return
    print(f"Django admin list pages, {args.rows:,} payments + {args.rows:,} inbox entries,")
    print(f"median of {args.repeat} requests through Django's test client: ms per page")
    print("(whole request / of which in SQL), with the admin's indexes and without them\n")
    header = f"{'page':<30}"
    tables = {}
    for db in args.dbs.split(","):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                db,
                "--rows",
                str(args.rows),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        tables[db] = json.loads(out.stdout.strip().splitlines()[-1])
        header += f" | {db + ' indexed':>19} | {db + ' without':>19}"
    print(header)
    print("-" * len(header))
    for label, _ in PAGES:
        line = f"{label:<30}"
        for db in tables:
            row = tables[db][label]
            for key in ("indexed", "without"):
                line += f" | {row[key]:>9.0f} / {row[key + ' sql']:>7.1f}"
        print(line)


if __name__ == "__main__":
    main()
