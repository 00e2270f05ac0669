/** One way for commands to fail: a message on stderr and an exit code, never a stack trace. */
export function cliError(message: string, code: number): number {
  console.error(message);
  return code;
}
