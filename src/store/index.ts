import { type AuditEvent, appendAudit, verifyAudit } from "./audit.js";
import { type Db, openDatabase } from "./db.js";
import { FindingsRepo } from "./findings.js";
import { GrantRepo } from "./grants.js";
import { RequestRepo } from "./requests.js";

/** The bot's durable state: one SQLite file, one writer (this process). */
export class Store {
  readonly requests: RequestRepo;
  readonly grants: GrantRepo;
  readonly findings: FindingsRepo;

  constructor(readonly db: Db) {
    this.requests = new RequestRepo(db);
    this.grants = new GrantRepo(db, this.requests);
    this.findings = new FindingsRepo(db);
  }

  static open(file: string): Store {
    return new Store(openDatabase(file));
  }

  audit(event: AuditEvent): void {
    appendAudit(this.db, event);
  }

  verifyAudit() {
    return verifyAudit(this.db);
  }

  isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
