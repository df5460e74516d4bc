import { closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

/** The database's folder, the file, and SQLite's companions (which SQLite creates with the file's mode). */
const COMPANIONS = ["", "-wal", "-shm", ".lock"];

/**
 * Creates the folder (0700) and an empty database file (0600) before SQLite opens it: SQLite
 * would create the file 0644, readable by every local user, and copies that mode to -wal and -shm.
 * An empty file is a valid empty database. Existing paths keep their mode (see `loosePermissions`).
 */
export function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

export interface LoosePath {
  path: string;
  /** Octal, as chmod takes it: "0644". */
  mode: string;
  fix: string;
}

/**
 * Paths of the store that other local users can read or write. Reported, not changed: an operator
 * may have widened them on purpose (a backup agent in the group), and must decide.
 */
export function loosePermissions(file: string): LoosePath[] {
  if (file === ":memory:") return [];
  const found: LoosePath[] = [];
  const folder = dirname(file);
  const folderMode = modeOf(folder);
  if (folderMode !== undefined && folderMode & 0o077) {
    found.push({ path: folder, mode: octal(folderMode), fix: `chmod 700 ${folder}` });
  }
  for (const suffix of COMPANIONS) {
    const path = `${file}${suffix}`;
    const mode = modeOf(path);
    if (mode !== undefined && mode & 0o077) found.push({ path, mode: octal(mode), fix: `chmod 600 ${path}` });
  }
  return found;
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;
