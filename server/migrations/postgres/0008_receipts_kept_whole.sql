-- A signed receipt is 3-5 KB of base64, past the 2 KB at which PostgreSQL compresses a row
-- and moves its long values out of line. Compressing base64 gains little, and it was about a
-- tenth of PostgreSQL's time in a write (`perf`, BENCHMARKS.md). A row up to the page's size
-- now stays whole and uncompressed; a longer one is still compressed as before.
ALTER TABLE receipts SET (toast_tuple_target = 8160);
