/** `netinsight restore FILE`: replace the database with a backup (checked first; refused while NetInsight runs). */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { restoreDatabase, RestoreError } from "../backup/restore.ts";
import { cliError } from "./errors.ts";

const HELP = `Usage: netinsight restore FILE [--database PATH]

Replaces the database with the backup FILE (one of BACKUP_DIR's netinsight-*.db files). The backup
must pass SQLite's integrity check, and nothing may have the database open: stop the service first
(sudo systemctl stop netinsight), then start it again. The replaced database is kept beside it as
<database>.before-restore-<time>.

Options:
  -d, --database PATH   the database to replace (DATABASE_PATH; the same default as serve)
  -h, --help            show this help`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { database: { type: "string", short: "d" }, help: { type: "boolean", short: "h", default: false } },
      allowPositionals: true,
    });
  } catch (e) {
    return cliError(`restore: ${(e as Error).message}\n\n${HELP}`, 2);
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) return cliError(`restore: name one backup file\n\n${HELP}`, 2);
  let databasePath: string;
  try {
    databasePath = loadConfig({ flags: { DATABASE_PATH: parsed.values.database } }).DATABASE_PATH;
  } catch (e) {
    if (e instanceof ConfigError) return cliError(`restore: ${e.message}`, 2);
    throw e;
  }
  const file = parsed.positionals[0]!;
  try {
    const r = restoreDatabase(file, databasePath);
    console.log(`restored ${databasePath} from ${file}`);
    if (r.previous) console.log(`the database it replaced is kept as ${r.previous}`);
    return 0;
  } catch (e) {
    if (e instanceof RestoreError) return cliError(`restore: ${e.message}`, 1);
    throw e;
  }
}
