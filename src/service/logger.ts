/** A leveled logger to stderr (systemd's journal adds the time stamps). */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => console.error(l)): Logger {
  const at = (l: LogLevel) => (msg: string) => {
    if (RANK[l] >= RANK[level]) write(l === "info" ? msg : `${l}: ${msg}`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
