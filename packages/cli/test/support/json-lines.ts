/** One JSON log line, as pino writes it. */
export type JsonRecord = { readonly [key: string]: unknown };

/** Every line of stderr as a JSON record: a line that is not one fails the test. */
export function jsonLines(stderr: string): JsonRecord[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as JsonRecord;
      } catch {
        throw new Error(`not a JSON line on stderr: ${line}\nstderr:\n${stderr}`);
      }
    });
}
