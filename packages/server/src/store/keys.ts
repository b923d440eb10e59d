import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Db } from "./database.js";

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** API keys, stored hashed (sha256): a key is shown once, at creation, and never again. */
export class KeyStore {
  // Prepared once: every request checks a key, and a keyless server asks whether one exists yet.
  readonly #verify;
  readonly #activeCount;

  constructor(private readonly db: Db) {
    this.#verify = db.prepare(`SELECT id, hash FROM api_keys WHERE hash = ? AND revoked_at IS NULL`);
    this.#activeCount = db.prepare(`SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL`);
  }

  create(name: string): { id: string; key: string } {
    const id = `key_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const key = `wbx_${randomBytes(24).toString("base64url")}`;
    this.db.prepare(`INSERT INTO api_keys (id, name, hash, created_at) VALUES (?, ?, ?, ?)`).run(id, name, hash(key), Date.now());
    return { id, key };
  }

  /** The id of the active key `token` belongs to, or null. */
  verify(token: string): string | null {
    const h = hash(token);
    const row = this.#verify.get(h) as
      | { id: string; hash: string }
      | undefined;
    if (!row) return null;
    return timingSafeEqual(Buffer.from(row.hash), Buffer.from(h)) ? row.id : null;
  }

  activeCount(): number {
    return (this.#activeCount.get() as { n: number }).n;
  }

  list(): ApiKeyInfo[] {
    return (this.db.prepare(`SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at`).all() as Array<{
      id: string;
      name: string;
      created_at: number;
      revoked_at: number | null;
    }>).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  revoke(id: string): boolean {
    return this.db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`).run(Date.now(), id).changes > 0;
  }
}
