#!/usr/bin/env python3
"""The server under load from a separate process (wrk), on SQLite and PostgreSQL in one run.

For each backend and for 16, 64 and 256 connections: GET /healthz (the ceiling), GET
/v1/consents, GET /v1/me/data, PUT /v1/consents from distinct devices and from distinct
signed-in users, POST /v1/events in batches of 20. Then the cost curve: PUT /v1/consents at 64
connections with 10k, 100k and 1M subjects already in the ledger, and the database's size.
Each figure also says what one request cost in CPU, from /proc: the server's own, and the whole
machine's (wrk and PostgreSQL included). On SQLite, a second table says how its one writer spent
each run (writes' turns, commits, the time between one holder and the next), from the totals
the server logs each second. Prints Markdown tables (and writes them to target/load-bench.md),
then PASS/FAIL lines for the targets of issue 9. Run by scripts/load-bench.sh, which builds the
release server first.
"""
import json, os, re, shutil, sqlite3, subprocess, sys, tempfile, time, urllib.request, uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# SERVER=path benchmarks another build of the server (e.g. the one before a change).
SERVER = Path(os.environ.get("SERVER", ROOT / "target/release/consent-server"))
DURATION = os.environ.get("DURATION", "8s")
CONNECTIONS = [int(c) for c in os.environ.get("CONNECTIONS", "16,64,256").split(",")]
# SUBJECTS= (empty) skips the cost curve; ONLY=text keeps the workloads whose name holds it.
SUBJECTS = [int(n) for n in os.environ.get("SUBJECTS", "10000,100000,1000000").split(",") if n]
ONLY = os.environ.get("ONLY", "")
BACKENDS = os.environ.get("BACKENDS", "sqlite,postgres").split(",")
# DB_POOL=n: the server's --db-pool (its default when unset).
POOL = ["--db-pool", os.environ["DB_POOL"]] if os.environ.get("DB_POOL") else []
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
THREADS = 2
CHOICES = '{"policy_version":"2026-11","lang":"ru","choices":{"surveys":true,"research":false}}'

SECRETS = {name: uuid.uuid4().hex + uuid.uuid4().hex for name in
           ["CONSENT_JWT_SECRET", "CONSENT_SERVICE_SECRET", "CONSENT_STAFF_SECRET", "CONSENT_SERVER_SECRET",
            "CONSENT_RECEIPT_KEY"]}
# The writer's clock (SQLite): how its time went, read from the log by writer_split().
ENV = {**os.environ, **SECRETS, "RUST_LOG": "warn,consent_server::writer=debug", "NO_COLOR": "1"}
ENV.pop("DATABASE_URL", None)


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, env=ENV, capture_output=True, text=True, **kw).stdout


def free_port():
    import socket
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


class Database:
    def __init__(self, backend, work):
        self.backend = backend
        if backend == "sqlite":
            self.path = work / f"load-{uuid.uuid4().hex[:8]}.db"
            self.url = f"sqlite://{self.path}"
        else:
            self.name = f"consent_load_{uuid.uuid4().hex[:8]}"
            psql(PG_ADMIN, f"CREATE DATABASE {self.name}")
            self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def size(self):
        if self.backend == "sqlite":
            return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return int(psql(self.url, "SELECT pg_database_size(current_database())").strip())

    def drop(self):
        if self.backend == "postgres":
            psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def populate(self, n):
        """n subjects already answered: a ledger record, their choices, an acceptance and a
        visit each. Hashes are placeholders: what is measured is the cost of a write against
        tables and indexes of this size."""
        if self.backend == "sqlite":
            db = sqlite3.connect(self.path)
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                db.executemany(
                    "INSERT INTO ledger (subject, seq, kind, at, body, prev_hash, hash) VALUES (?, 1, 'choices', 0, '{}', 'g', 'h')",
                    ((f"user:pre-{i}",) for i in range(n)))
                for purpose in ("surveys", "research"):
                    db.executemany("INSERT INTO consent_state VALUES (?, ?, 1, 0)", ((f"user:pre-{i}", purpose) for i in range(n)))
                db.executemany("INSERT INTO acceptances VALUES (?, '2026-11', 'button', 0)", ((f"user:pre-{i}",) for i in range(n)))
                db.executemany("INSERT INTO activity VALUES (?, 0)", ((f"user:pre-{i}",) for i in range(n)))
            db.close()
        else:
            psql(self.url, f"""
                INSERT INTO ledger (subject, seq, kind, at, body, prev_hash, hash)
                  SELECT 'user:pre-' || i, 1, 'choices', 0, '{{}}', 'g', 'h' FROM generate_series(0, {n - 1}) i;
                INSERT INTO consent_state SELECT 'user:pre-' || i, p, 1, 0 FROM generate_series(0, {n - 1}) i, (VALUES ('surveys'), ('research')) v(p);
                INSERT INTO acceptances SELECT 'user:pre-' || i, '2026-11', 'button', 0 FROM generate_series(0, {n - 1}) i;
                INSERT INTO activity SELECT 'user:pre-' || i, 0 FROM generate_series(0, {n - 1}) i;
                ANALYZE;""")


def psql(url, sql):
    return run("psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql)


class Server:
    def __init__(self, db):
        self.log = db.path.with_suffix(".log") if db.backend == "sqlite" else None
        self.log_file = open(self.log, "a") if self.log else None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(SERVER), "serve", "--bind", f"127.0.0.1:{self.port}", "--database", db.url,
                                      "--checkpoint-minutes", "0",
                                      # wrk is one address and reuses subjects: measure the server, not its limits.
                                      "--rate-subject", "0", "--rate-address", "0", *POOL], env=ENV,
                                     # The server logs to its standard output.
                                     stdout=self.log_file or subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def stop(self):
        self.proc.terminate(); self.proc.wait()
        if self.log_file:
            self.log_file.close()


TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def process_ticks(pid):
    """CPU time of a process so far (user + system), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def machine_ticks():
    """CPU time of the whole machine so far, not idle or waiting for the disk, in clock ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]


WRITER_LINE = re.compile(r"groups=(\d+) writes=(\d+) turns_us=(\d+) commits_us=(\d+) between_us=(\d+)")


def log_size(server):
    return server.log.stat().st_size if server.log else 0


def writer_split(server, since):
    """How SQLite's one writer spent a run, from the totals the server logs each second: the
    lines written during the run, from the second (the first also counts the pause before the
    run) to the last."""
    if not server.log:
        return None
    with open(server.log) as log:
        log.seek(since)
        totals = [tuple(map(int, m.groups())) for m in WRITER_LINE.finditer(log.read())]
    if len(totals) < 3:
        return None
    groups, writes, turns, commits, between = (b - a for a, b in zip(totals[1], totals[-1]))
    if not groups or not writes:
        return None
    # Each write's turn and each commit take the writer once: that many hand-offs.
    return {"per_group": writes / groups, "turn_us": turns / writes, "commit_ms": commits / groups / 1000,
            "between_us": between / (writes + groups), "busy": (turns + commits) / (turns + commits + between)}


def wrk(server, connections, path, script=None, **env):
    args = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{DURATION}", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", str(HERE / script)]
    server_before, machine_before, log_before = process_ticks(server.proc.pid), machine_ticks(), log_size(server)
    out = subprocess.run(args + [server.base + path], check=True, capture_output=True, text=True,
                         env={**ENV, "LOAD_DIR": str(HERE), "WRK_THREADS": str(THREADS), **env}).stdout
    server_ticks = process_ticks(server.proc.pid) - server_before
    all_ticks = machine_ticks() - machine_before
    requests = max(1, int(re.search(r"(\d+) requests in", out).group(1)))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": ms(lat["50"]), "p99": ms(lat["99"]),
            # What one request cost: the server's own CPU, and the whole machine's (wrk, and
            # on PostgreSQL the database's backends too).
            "server_us": server_ticks * TICK_US / requests, "all_us": all_ticks * TICK_US / requests,
            "writer": writer_split(server, log_before),
            "non2xx": int(bad.group(1)) if bad else 0, "socket": errors.group(1) if errors else ""}


def ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def workloads(files):
    return [
        ("GET /healthz (the ceiling)", "/healthz", None, {}),
        # The reads have users of their own: on the writers' users, whose records the earlier
        # workloads of a run keep adding to, the report's figure fell with the run's order.
        ("GET /v1/consents", "/v1/consents", "user.lua", {"METHOD": "GET", "PATH_": "/v1/consents", "TOKENS": files["readers"]}),
        ("GET /v1/me/data", "/v1/me/data", "user.lua", {"METHOD": "GET", "PATH_": "/v1/me/data", "TOKENS": files["readers"]}),
        ("PUT /v1/consents, distinct devices", "/v1/consents", "device.lua", {"BODY": CHOICES, "DEVICES": files["devices"]}),
        ("PUT /v1/consents, distinct users", "/v1/consents", "user.lua",
         {"METHOD": "PUT", "PATH_": "/v1/consents", "BODY": CHOICES, "TOKENS": files["users"]}),
        ("POST /v1/events, batches of 20", "/v1/events", "user.lua",
         {"METHOD": "POST", "PATH_": "/v1/events", "BODY": '{"events":[EVENTS]}', "TOKENS": files["users"]}),
    ]


def credentials(work, tag, count=60000):
    users = work / f"users-{tag}.txt"
    users.write_text(run(SERVER, "token", "--user", f"load-{tag}", "--count", count))
    readers = work / f"readers-{tag}.txt"
    readers.write_text(run(SERVER, "token", "--user", f"read-{tag}", "--count", count))
    devices = work / f"devices-{tag}.txt"
    devices.write_text(run(SERVER, "devices", "--count", count))
    return {"users": str(users), "readers": str(readers), "devices": str(devices)}


def main():
    work = Path(tempfile.mkdtemp(prefix="consent-load-"))
    lines, results = [], {}
    machine = f"{os.cpu_count()} cores, {run('uname', '-srm').strip()}"
    say = lambda text="": (print(text, flush=True), lines.append(text))
    say(f"# Load benchmark ({time.strftime('%Y-%m-%d')}; {machine}; wrk -t{THREADS} -d{DURATION}, a separate process on loopback)")
    try:
        for backend in BACKENDS:
            db = Database(backend, work)
            server = Server(db)
            files = credentials(work, backend)
            say(f"\n## {backend}\n")
            say("| request | connections | req/s | p50 ms | p99 ms | non-2xx | share of the ceiling | server CPU µs/req | all CPU µs/req |")
            say("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for c in CONNECTIONS:
                ceiling = None
                for name, path, script, env in workloads(files):
                    if ONLY not in name and not name.startswith("GET /healthz"):
                        continue
                    r = wrk(server, c, path, script, **env)
                    ceiling = ceiling or r["rps"]
                    results[(backend, name, c)] = r
                    say(f"| {name} | {c} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} | {r['rps'] / ceiling:.1%} | {r['server_us']:,.0f} | {r['all_us']:,.0f} |")
            server.stop(); db.drop()
            split = [(name, c, r["writer"]) for (b, name, c), r in results.items() if b == backend and r.get("writer")]
            if split:
                say(f"\n### {backend}: where the one writer's time went (its log, `consent_server::writer`)\n")
                say("| request | connections | writes per group | turn µs per write | µs between holders | commit ms per group | writer busy |")
                say("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
                for name, c, w in split:
                    say(f"| {name} | {c} | {w['per_group']:.1f} | {w['turn_us']:,.0f} | {w['between_us']:,.0f} | {w['commit_ms']:.2f} | {w['busy']:.0%} |")
            if not SUBJECTS:
                continue
            say(f"\n### {backend}: the cost curve (PUT /v1/consents, distinct users, 64 connections)\n")
            say("| subjects already in the ledger | writes/s | p99 ms | database size after |")
            say("| ---: | ---: | ---: | ---: |")
            for n in SUBJECTS:
                db = Database(backend, work)
                Server(db).stop()  # the schema
                db.populate(n)
                server = Server(db)
                r = wrk(server, 64, "/v1/consents", "user.lua", METHOD="PUT", PATH_="/v1/consents", BODY=CHOICES, TOKENS=files["users"])
                server.stop()
                results[(backend, "curve", n)] = r
                say(f"| {n:,} | {r['rps']:,.0f} | {r['p99']:.2f} | {db.size() / 1e6:,.1f} MB |")
                db.drop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say("\n## Targets (issue 9)\n")
    put = "PUT /v1/consents, distinct users"
    def target(text, ok):
        say(f"- {'PASS' if ok else 'FAIL'}: {text}")
    for backend, writes, p99 in [("sqlite", 10000, 10), ("postgres", 5000, 20)]:
        if (backend, put, 64) in results:
            r64, r16 = results[(backend, put, 64)], results.get((backend, put, 16))
            target(f"{backend}: ≥ {writes:,} durable PUT/s at 64 connections (measured {r64['rps']:,.0f})", r64["rps"] >= writes)
            if r16:
                target(f"{backend}: p99 ≤ {p99} ms at 16 connections (measured {r16['p99']:.2f} ms)", r16["p99"] <= p99)
        small, large = (results.get((backend, "curve", f(SUBJECTS))) if SUBJECTS else None for f in (min, max))
        if small and large:
            target(f"{backend}: at {max(SUBJECTS):,} subjects ≥ 80 % of the {min(SUBJECTS):,}-subject writes/s "
                   f"(measured {large['rps'] / small['rps']:.0%})", large["rps"] >= 0.8 * small["rps"])
    out = ROOT / "target/load-bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"\n(written to {out})")


if __name__ == "__main__":
    main()
