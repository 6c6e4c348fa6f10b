// The wasm server scripts' command line: `--name value` pairs; a missing required one exits 2.
export function serverOption(server: string, name: string, required = true): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (!value && required) {
    console.error(`${server}: missing --${name}`);
    process.exit(2);
  }
  return value;
}
