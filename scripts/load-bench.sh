#!/usr/bin/env bash
# The load benchmark of issue 9: the release server on SQLite and PostgreSQL under wrk, a
# separate process, at 16, 64 and 256 connections, and the cost curve at 10k, 100k and 1M
# subjects. Prints Markdown tables and PASS/FAIL lines for the targets; writes
# target/load-bench.md. About 10 minutes on 2 cores. Not part of the test command.
# DURATION=8s CONNECTIONS=16,64,256 SUBJECTS=10000,100000,1000000 BACKENDS=sqlite,postgres
# ONLY="distinct users" keeps the workloads whose name holds it (and the ceiling); SUBJECTS= skips the curve.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/setup.sh" >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet -p consent-server
exec python3 bench/load/load.py
