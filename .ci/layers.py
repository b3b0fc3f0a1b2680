#!/usr/bin/env python3
"""The layering rules of the workspace, checked from `cargo metadata`.

* `termino-api` and `termino-web` are siblings: neither depends on the other.
* `termino-domain` stays pure: no dependency that does I/O (databases,
  HTTP, Redis, mail, async runtimes), only the crates listed below.
* No sea-orm in the edges: `termino-api` and `termino-web` do not depend on
  sea-orm or sqlx, so no database type can appear in their signatures.
* Only `termino-server` (the composition root) depends on both edges.
* `termino-payments` (the providers' side) knows no use case, database or
  edge: it does not depend on `termino-app`, `termino-store`, the edges,
  sea-orm or sqlx.

Exits non-zero, naming each broken rule.
"""
import json
import subprocess
import sys

DOMAIN_ALLOWED = {
    "chrono", "chrono-tz", "email_address", "phonenumber", "serde",
    "thiserror", "uuid", "zxcvbn", "rrule",
}
EDGE_FORBIDDEN = {"sea-orm", "sea-orm-migration", "sqlx", "termino-migrations"}
PAYMENTS_FORBIDDEN = EDGE_FORBIDDEN | {
    "termino-app", "termino-store", "termino-api", "termino-web", "termino-http",
    "termino-server",
}

meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"]
))
deps = {
    p["name"]: {d["name"] for d in p["dependencies"] if d.get("kind") is None}
    for p in meta["packages"]
}
problems = []
for a, b in [("termino-api", "termino-web"), ("termino-web", "termino-api")]:
    if b in deps.get(a, set()):
        problems.append(f"{a} depends on {b}: they must stay siblings")
extra = deps.get("termino-domain", set()) - DOMAIN_ALLOWED
if extra:
    problems.append(f"termino-domain gained dependencies outside its pure list: {sorted(extra)}")
for edge in ["termino-api", "termino-web"]:
    bad = deps.get(edge, set()) & EDGE_FORBIDDEN
    if bad:
        problems.append(f"{edge} depends on {sorted(bad)}: database types stay below the edges")
if "termino-payments" not in deps:
    problems.append("termino-payments is missing from the workspace")
bad = deps.get("termino-payments", set()) & PAYMENTS_FORBIDDEN
if bad:
    problems.append(f"termino-payments depends on {sorted(bad)}: the providers' side stays below app")
both = [n for n, d in deps.items() if {"termino-api", "termino-web"} <= d]
if both != ["termino-server"]:
    problems.append(f"only termino-server may depend on both edges, found {both}")
for p in problems:
    print(f"layering: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"layering: ok ({len(deps)} packages)")
