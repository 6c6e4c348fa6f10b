// One CLI sub-command (`isobench <name> ...`). Each lives in its own file in this folder
// and is listed in ./index.ts; harness/cli.ts only dispatches.
export interface Command {
  name: string;
  /** one line for `isobench --help` */
  summary: string;
  /** full text for `isobench <name> --help` */
  help: string;
  /** returns the process exit code; throw UsageError for bad flags */
  run(argv: string[]): Promise<number>;
}

/** Bad CLI input: printed as one line `isobench: <message>` with exit code 2. */
export class UsageError extends Error {}
