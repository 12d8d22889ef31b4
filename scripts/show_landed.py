"""Print what the quickstart pipeline landed in DuckDB: rows by channel and status, newest update."""

from __future__ import annotations

import sys

import duckdb


def main(path: str, schema: str = "tap_heymarket") -> int:
    """Summarise the conversations table and count every other table."""
    db = duckdb.connect(path, read_only=True)
    total, distinct, newest = db.sql(
        f"select count(*), count(distinct id), max(updated) from {schema}.conversations"
    ).fetchall()[0]
    print(f"\nconversations: {total} rows ({distinct} distinct ids), newest updated {newest}")
    for column in ("channel", "status"):
        rows = db.sql(
            f"select {column}, count(*) from {schema}.conversations group by 1 order by 2 desc, 1"
        ).fetchall()
        print(f"  by {column}: " + ", ".join(f"{value} {count}" for value, count in rows))
    tables = db.sql(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        params=[schema],
    ).fetchall()
    counts = [
        f"{name} {db.sql(f'select count(*) from {schema}.{name}').fetchall()[0][0]}" for (name,) in tables
    ]
    print("tables: " + ", ".join(counts))
    return 0 if total and total == distinct else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
