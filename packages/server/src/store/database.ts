/**
 * The embedded store: one SQLite file (WAL) in the data directory, migrated on open.
 * Output files are content-addressed blobs on disk beside it.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Each migration runs once, in order; `PRAGMA user_version` records how far a file is. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     key_id TEXT,
     session_id TEXT,
     mode TEXT NOT NULL,
     language TEXT NOT NULL,
     status TEXT NOT NULL,
     request_json TEXT NOT NULL,
     result_json TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE INDEX runs_by_key_time ON runs (key_id, created_at DESC, id DESC);
   CREATE INDEX runs_by_status ON runs (status);
   CREATE TABLE run_events (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE run_files (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     path TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     mime TEXT NOT NULL,
     stored INTEGER NOT NULL,
     PRIMARY KEY (run_id, path)
   );
   CREATE INDEX run_files_by_sha ON run_files (sha256);`,
  // Which HTTP API a run came through (wasmbox's own, or the Piston / Judge0 drop-ins).
  `ALTER TABLE runs ADD COLUMN api TEXT NOT NULL DEFAULT 'wasmbox';`,
  // A Judge0 submission's own fields (language id, expected output…), kept beside its run.
  `CREATE TABLE judge0_submissions (
     run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
     extras_json TEXT NOT NULL
   );`,
];

/**
 * Open (and create or migrate) the store. The data directory is made owner-only (0700) and
 * the database files 0600: they hold every key's code, results and key hashes. SQLite gives
 * its -wal and -shm files the database file's mode, so creating that file 0600 first covers them.
 */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  ownerOnly(dataDir, 0o700);
  const file = join(dataDir, "wasmbox.sqlite");
  closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) ownerOnly(f, 0o600);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/** The statement behind {@link databaseBytes}, prepared once per database (it runs before every run). */
const sizeStatements = new WeakMap<Db, Database.Statement>();

/** Bytes of history the database holds (its pages in use; freed pages are reused, not counted). */
export function databaseBytes(db: Db): number {
  let size = sizeStatements.get(db);
  if (!size) {
    size = db.prepare("SELECT (c.page_count - f.freelist_count) * s.page_size AS bytes FROM pragma_page_count() c, pragma_freelist_count() f, pragma_page_size() s");
    sizeStatements.set(db, size);
  }
  return (size.get() as { bytes: number }).bytes;
}

/** chmod `path` to `mode` if it exists with another one; a path owned by someone else is left alone. */
function ownerOnly(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {
    // missing, or not ours to change
  }
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
