/**
 * Lowers the calling thread's CPU priority (Linux: a thread's own nice value, set through its thread
 * id), so bulk work in a thread of its own gives way to a latency-sensitive thread of the same
 * process when both want the CPU. Best effort: false where it cannot (another OS, no glibc).
 */
import { dlopen, FFIType } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

/** PRIO_PROCESS: on Linux, given a thread id it names that one thread. */
const PRIO_PROCESS = 0;
const MAX_NICE = 19;

/** Raises this thread's nice value by `steps` (never lowers it); the new nice value, or null when not possible. */
export function lowerThreadPriority(steps: number): number | null {
  if (process.platform !== "linux" || steps <= 0) return null;
  const libc = openPriority();
  if (libc === null) return null;
  try {
    const tid = libc.symbols.gettid();
    const nice = Math.min(MAX_NICE, libc.symbols.getpriority(PRIO_PROCESS, tid) + steps);
    return libc.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0 ? nice : null;
  } finally {
    libc.close();
  }
}

/** How often `JitThreads.lower` looks for new compiler threads (JavaScriptCore starts them as it needs them). */
const JIT_SCAN_MS = 100;

/**
 * JavaScriptCore compiles hot functions on threads of its own ("JITWorker"). In the first seconds
 * of a capture they are busy: 1.8 s of compiling in the first 2.5 s of `analyze` on the bench
 * capture. On a 2-core machine the packet loop then waited for a core, 1.2-1.5 s of a ~8 s run
 * spent runnable but not running. Lowered (a higher nice value), the compilers take what the loop
 * leaves, mostly the other core. Call `lower` from the packet loop (at most one scan per JIT_SCAN_MS).
 */
export class JitThreads {
  #next = 0;
  #libc: ReturnType<typeof openPriority> | null | undefined;

  constructor(readonly nice = MAX_NICE) {}

  /** Sets every compiler thread below `nice` to it (never raising one); cheap between scans. */
  lower(now = performance.now()): void {
    if (now < this.#next) return;
    this.#next = now + JIT_SCAN_MS;
    if (this.#libc === undefined) this.#libc = process.platform === "linux" ? openPriority() : null;
    const libc = this.#libc;
    if (libc === null) return;
    let tids: string[];
    try {
      tids = readdirSync("/proc/self/task");
    } catch {
      this.#libc = null;
      return;
    }
    // Every thread's name is read at every scan (a dozen small reads): a new thread is named a moment
    // after it starts, and the compilers stop when idle and start again as new threads.
    for (const tid of tids) {
      let name: string;
      try {
        name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8");
      } catch {
        continue; // the thread has exited
      }
      if (!name.startsWith("JITWorker")) continue;
      const id = Number(tid);
      if (libc.symbols.getpriority(PRIO_PROCESS, id) < this.nice) libc.symbols.setpriority(PRIO_PROCESS, id, this.nice);
    }
  }
}

/** glibc's thread id and priority calls, or null (another libc). */
function openPriority() {
  try {
    return dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      getpriority: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
  } catch {
    return null;
  }
}
