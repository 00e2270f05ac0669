/**
 * Least privilege when started as root: once the capture handle and the database are open, hand the
 * database files to an unprivileged user and switch every thread of the process to it for good.
 */
import { chownSync, existsSync, readdirSync, readFileSync } from "node:fs";

/** RUN_AS_USER's default: used when a user of this name exists (the installer creates it). */
export const DEFAULT_RUN_AS_USER = "netinsight";
/** RUN_AS_USER values that mean "stay as started". */
const NO_DROP = new Set(["", "root", "0", "none"]);

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

export class PrivilegeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrivilegeError";
  }
}

/** A user by name or numeric uid from /etc/passwd, or undefined when there is none. */
export function lookupUser(nameOrUid: string, passwd = "/etc/passwd"): RunAsUser | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (uid === undefined || gid === undefined) continue;
    if (name === nameOrUid || uid === nameOrUid) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The user to drop to: RUN_AS_USER when set ("root"/"none" to keep running as started), else
 * `netinsight` if it exists. Only meaningful when running as root.
 */
export function resolveRunAsUser(setting: string | undefined): RunAsUser | null {
  if (setting === undefined) return lookupUser(DEFAULT_RUN_AS_USER) ?? null;
  if (NO_DROP.has(setting)) return null;
  const user = lookupUser(setting);
  if (!user) throw new PrivilegeError(`RUN_AS_USER: no user "${setting}" on this system (create it, or set RUN_AS_USER=root to keep running as root)`);
  if (user.uid === 0) return null;
  return user;
}

/** The database and the files SQLite and NetInsight keep beside it. */
export function databaseFiles(databasePath: string): string[] {
  return [databasePath, `${databasePath}-wal`, `${databasePath}-shm`, `${databasePath}.token`].filter((f) => existsSync(f));
}

/**
 * Chowns `files` (and `dirs`) to the user, then setgroups/setgid/setuid. Bun calls glibc's wrappers,
 * which apply the change to every thread (Linux keeps credentials per thread); verified here from
 * /proc, and a thread left with other ids is an error, never a half-dropped process.
 */
export function dropPrivileges(user: RunAsUser, files: string[], dirs: string[] = []): void {
  for (const f of [...dirs, ...files]) {
    try {
      chownSync(f, user.uid, user.gid);
    } catch (err) {
      throw new PrivilegeError(`cannot hand ${f} to ${user.name}: ${(err as Error).message}`);
    }
  }
  try {
    process.setgroups?.([user.gid]);
    process.setgid?.(user.gid);
    process.setuid?.(user.uid);
  } catch (err) {
    throw new PrivilegeError(`cannot switch to user ${user.name} (uid ${user.uid}): ${(err as Error).message}`);
  }
  const wrong = threadIds().filter((t) => t.uid !== user.uid || t.gid !== user.gid);
  if (wrong.length > 0) {
    throw new PrivilegeError(`after switching to ${user.name}, threads ${wrong.map((t) => t.tid).join(", ")} still run with other ids`);
  }
}

/** Each thread's uid and gid; -1 when its real, effective, saved and file-system ids disagree. */
export function threadIds(pid: number | "self" = "self"): { tid: string; uid: number; gid: number }[] {
  const out: { tid: string; uid: number; gid: number }[] = [];
  const dir = `/proc/${pid}/task`;
  for (const tid of readdirSync(dir)) {
    let status: string;
    try {
      status = readFileSync(`${dir}/${tid}/status`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const ids = (key: string) => (status.match(new RegExp(`^${key}:\\s+(.*)$`, "m"))?.[1] ?? "").split(/\s+/).map(Number);
    const uids = ids("Uid"), gids = ids("Gid");
    const pick = (v: number[]) => (v.every((x) => x === v[0]) ? v[0] : -1);
    out.push({ tid, uid: pick(uids), gid: pick(gids) });
  }
  return out;
}
