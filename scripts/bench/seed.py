#!/usr/bin/env python3
"""Bulk seed data for `make bench` (scripts/bench.sh), loaded with SQL, never through HTTP.

  seed.py gen DIR --tokens N --load L          tokens, users, projects as CSV files in DIR
  seed.py check TOKEN                          the format here agrees with a server-minted token
  seed.py sqlite DB DIR PHASE                  load PHASE (1: users, projects, grants and the
                                               tokens used for load; 2: the other tokens) into a
                                               SQLite file, in one transaction
  seed.py psql DIR PHASE                       the same as a psql script on stdout (\\copy)

Tokens have keyward's format (core/src/token.rs): `kwat_` + 30 base62 characters of CSPRNG
output + CRC32 (IEEE) of everything before it in 6 base62 digits; the database holds only
the SHA-256 (hex) of the whole value and its first 12 characters. `check` proves the format
against a token the server minted; the load itself proves it again (every request must be
accepted).

Both databases get the same rows through the same SQL statements (SEED_SQL), from staging
tables filled from the CSV files. The bench users share the password hash of `bench-login`,
a real Argon2id hash made by `keyward admin create-user`, which must exist first.
"""

import csv
import hashlib
import os
import sqlite3
import sys
import time
import zlib

BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX = "kwat_"
RANDOM_LEN = 30
# Byte values below 248 (= 4 x 62) map evenly onto base62, as the server's generator does.
TO_BASE62 = bytes(BASE62[b % 62] if b < 248 else 0 for b in range(256))
REJECTED = bytes(range(248, 256))

# Users: bench0000... own the load tokens (one each) and share the other tokens;
# bench-projects sees 200 projects (direct grants and a team's); bench-revoke's token is
# the one the two-instance check revokes.
PROJECT_USER = "bench-projects"
REVOKE_USER = "bench-revoke"
VISIBLE_PROJECTS = 200
ALL_PROJECTS = 1000

STAGING = {
    "users": "username TEXT, created_at BIGINT",
    "projects": "name TEXT, created_at BIGINT",
    "members": "team TEXT, username TEXT",
    "grants": "project TEXT, username TEXT, team TEXT, c1 INTEGER, c2 INTEGER, c3 INTEGER",
    "tokens": "username TEXT, name TEXT, token_hash TEXT, display_prefix TEXT, "
    "created_at BIGINT, expires_at BIGINT, revoked_at BIGINT",
}

# Written once for both databases (the schema is the same on both).
SEED_SQL = {
    1: [
        """INSERT INTO users (username, display_name, role, active, password_hash, created_at)
           SELECT s.username, s.username, 'user', TRUE,
                  (SELECT password_hash FROM users WHERE username = 'bench-login'), s.created_at
           FROM seed_users s""",
        """INSERT INTO teams (name, created_at)
           SELECT DISTINCT team, 0 FROM seed_members""",
        """INSERT INTO team_members (team_id, user_id)
           SELECT t.id, u.id FROM seed_members s
           JOIN teams t ON t.name = s.team JOIN users u ON u.username = s.username""",
        """INSERT INTO projects (name, created_at) SELECT name, created_at FROM seed_projects""",
        """INSERT INTO project_grants (project_id, user_id, team_id, can_change_configs,
               can_change_secrets, can_delete_project)
           SELECT p.id, u.id, t.id, s.c1 = 1, s.c2 = 1, s.c3 = 1 FROM seed_grants s
           JOIN projects p ON p.name = s.project AND p.org_id IS NULL
           LEFT JOIN users u ON u.username = s.username
           LEFT JOIN teams t ON t.name = s.team""",
    ],
    2: [],
}
INSERT_TOKENS = """INSERT INTO api_tokens (user_id, name, token_hash, display_prefix,
        created_at, expires_at, revoked_at)
    SELECT u.id, s.name, s.token_hash, s.display_prefix, s.created_at, s.expires_at,
        s.revoked_at
    FROM seed_tokens s JOIN users u ON u.username = s.username"""


def checksum(head: str) -> str:
    n = zlib.crc32(head.encode())
    digits = bytearray(6)
    for i in range(5, -1, -1):
        digits[i] = BASE62[n % 62]
        n //= 62
    return digits.decode()


def random_bodies(count: int):
    """`count` strings of RANDOM_LEN uniform base62 characters from os.urandom."""
    need = count * RANDOM_LEN
    chars = bytearray()
    while len(chars) < need:
        chunk = os.urandom(max(need - len(chars), 1024) * 33 // 32 + 64)
        chars += chunk.translate(TO_BASE62, REJECTED)
    text = chars[:need].decode()
    return (text[i : i + RANDOM_LEN] for i in range(0, need, RANDOM_LEN))


def token_rows(count: int, owners, now: int, load: bool):
    """Yields (value, csv row) for `count` new tokens; owners(i) names the owner of the i-th."""
    for i, body in enumerate(random_bodies(count)):
        head = PREFIX + body
        value = head + checksum(head)
        digest = hashlib.sha256(value.encode()).hexdigest()
        created = now - 86400 - (i % 86400)
        if load:
            expires, revoked = now + 90 * 86400, ""
        else:
            # Realistic filler: some revoked, some expired, most live.
            expires = now - 3600 if i % 10 == 1 else now + 90 * 86400
            revoked = str(now - 7200) if i % 10 == 2 else ""
        yield value, [owners(i), f"t{i}", digest, value[:12], created, expires, revoked]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def gen(out: str, total: int, load: int) -> None:
    now = int(time.time())
    users = [f"bench{i:04d}" for i in range(load)]
    write_csv(f"{out}/users.csv", [[u, now] for u in users + [PROJECT_USER, REVOKE_USER]])

    # Phase 1: one load token per bench user, the projects user's and the revoked one's.
    phase1, load_values = [], []
    for value, row in token_rows(load, lambda i: users[i], now, True):
        load_values.append(value)
        phase1.append(row)
    (project_value, project_row), (revoke_value, revoke_row) = token_rows(
        2, lambda i: [PROJECT_USER, REVOKE_USER][i], now, True
    )
    phase1 += [project_row, revoke_row]
    write_csv(f"{out}/tokens1.csv", phase1)
    with open(f"{out}/load_tokens.txt", "w") as f:
        f.write("\n".join(load_values) + "\n")
    for name, value in [("projects_token", project_value), ("revoke_token", revoke_value)]:
        with open(f"{out}/{name}.txt", "w") as f:
            f.write(value + "\n")

    # Phase 2: the rest up to `total`, spread over the bench users.
    rest = total - len(phase1)
    rows = (row for _, row in token_rows(rest, lambda i: users[i % load], now, False))
    write_csv(f"{out}/tokens2.csv", rows)

    # 1,000 projects; bench-projects sees 200: 120 by direct grant, 100 through its team
    # (20 of them both ways, whose flags add up), 0 of the other 800.
    projects = [f"bench-project-{i:04d}" for i in range(ALL_PROJECTS)]
    write_csv(f"{out}/projects.csv", [[p, now] for p in projects])
    write_csv(
        f"{out}/members.csv",
        [["bench-team", PROJECT_USER]] + [["bench-team", u] for u in users[:10]],
    )
    grants = []
    for i in range(120):
        grants.append([projects[i], PROJECT_USER, "", i % 2, i % 3 == 0, 0])
    for i in range(100, VISIBLE_PROJECTS):
        grants.append([projects[i], "", "bench-team", 0, 1, i % 5 == 0])
    for i in range(VISIBLE_PROJECTS, ALL_PROJECTS):
        grants.append([projects[i], users[i % load], "", 1, 0, 0])
    write_csv(f"{out}/grants.csv", [[p, u, t, int(a), int(b), int(c)] for p, u, t, a, b, c in grants])


def check(value: str) -> None:
    """Exits non-zero unless `value` (minted by the server) has the format generated here."""
    value = value.strip()
    ok = (
        value.startswith(PREFIX)
        and len(value) == len(PREFIX) + RANDOM_LEN + 6
        and checksum(value[:-6]) == value[-6:]
    )
    if not ok:
        sys.exit(f"seed.py: the server's token {value[:12]}... does not have the seeded format")


def staging_files(phase: int):
    if phase == 1:
        return [("users", "users.csv"), ("projects", "projects.csv"), ("members", "members.csv"),
                ("grants", "grants.csv"), ("tokens", "tokens1.csv")]
    return [("tokens", "tokens2.csv")]


def load_sqlite(db: str, out: str, phase: int) -> None:
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("BEGIN")
    for table, columns in STAGING.items():
        con.execute(f"CREATE TEMP TABLE seed_{table} ({columns})")
    for table, name in staging_files(phase):
        with open(f"{out}/{name}", newline="") as f:
            rows = csv.reader(f)
            width = STAGING[table].count(",") + 1
            con.executemany(
                f"INSERT INTO seed_{table} VALUES ({', '.join('?' * width)})",
                ([None if v == "" else v for v in r] for r in rows),
            )
    for sql in SEED_SQL[phase] + [INSERT_TOKENS]:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def psql_script(out: str, phase: int) -> None:
    print("\\set ON_ERROR_STOP on")
    print("BEGIN;")
    for table, columns in STAGING.items():
        print(f"CREATE TEMP TABLE seed_{table} ({columns}) ON COMMIT DROP;")
    for table, name in staging_files(phase):
        print(f"\\copy seed_{table} FROM '{out}/{name}' WITH (FORMAT csv)")
    for sql in SEED_SQL[phase] + [INSERT_TOKENS]:
        # Booleans are BOOLEAN on PostgreSQL: compare the staged integers there too.
        print(" ".join(sql.split()) + ";")
    print("COMMIT;")
    print("ANALYZE;")


def main(argv) -> None:
    if len(argv) >= 2 and argv[0] == "gen":
        opts = dict(zip(argv[2::2], argv[3::2]))
        gen(argv[1], int(opts.get("--tokens", 1_000_000)), int(opts.get("--load", 1000)))
    elif len(argv) == 2 and argv[0] == "check":
        check(argv[1])
    elif len(argv) == 4 and argv[0] == "sqlite":
        load_sqlite(argv[1], argv[2], int(argv[3]))
    elif len(argv) == 3 and argv[0] == "psql":
        psql_script(argv[1], int(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
