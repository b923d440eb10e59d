/**
 * What a Judge0 submission keeps beside its wasmbox run: the Judge0-only fields (language
 * id, expected output, limits as given), one row per run, deleted with it (retention).
 */
import type { Db } from "../../store/database.js";
import type { Judge0Extras } from "./translate.js";

export class Judge0Store {
  readonly #put;
  readonly #get;

  constructor(db: Db) {
    this.#put = db.prepare(`INSERT OR REPLACE INTO judge0_submissions (run_id, extras_json) VALUES (?, ?)`);
    this.#get = db.prepare(`SELECT extras_json FROM judge0_submissions WHERE run_id = ?`);
  }

  put(runId: string, extras: Judge0Extras): void {
    this.#put.run(runId, JSON.stringify(extras));
  }

  /** The fields of a submission; undefined for a run that did not come through Judge0. */
  get(runId: string): Judge0Extras | undefined {
    const row = this.#get.get(runId) as { extras_json: string } | undefined;
    return row ? (JSON.parse(row.extras_json) as Judge0Extras) : undefined;
  }
}
