/**
 * Lowers the calling thread's CPU priority (Linux: a thread's own nice value, set through its thread
 * id), so bulk work in a thread of its own gives way to a latency-sensitive thread of the same
 * process when both want the CPU. Best effort: false where it cannot (another OS, no glibc).
 */
import { dlopen, FFIType } from "bun:ffi";

/** PRIO_PROCESS: on Linux, given a thread id it names that one thread. */
const PRIO_PROCESS = 0;
const MAX_NICE = 19;

/** Raises this thread's nice value by `steps` (never lowers it); the new nice value, or null when not possible. */
export function lowerThreadPriority(steps: number): number | null {
  if (process.platform !== "linux" || steps <= 0) return null;
  let libc;
  try {
    libc = dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      getpriority: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
  } catch {
    return null;
  }
  try {
    const tid = libc.symbols.gettid();
    const nice = Math.min(MAX_NICE, libc.symbols.getpriority(PRIO_PROCESS, tid) + steps);
    return libc.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0 ? nice : null;
  } finally {
    libc.close();
  }
}
