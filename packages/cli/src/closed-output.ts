/**
 * A reader that goes away (`converge run ... | head -2`, `converge graph ... | true`)
 * closes our stdout or stderr, and the next write fails with EPIPE. Node
 * ignores SIGPIPE and reports that as an 'error' event on the stream, which
 * crashes the process when nobody listens: a run would die halfway through
 * applying a graph, leaving its atomic writes' temporary files and its state
 * directory behind.
 *
 * Once installed, a closed stream is simply no longer written to (Node
 * destroys it, so later writes are dropped without another error) and the
 * command carries on: `run` applies everything and cleans up as usual, and a
 * one-shot command (graph, validate, schema, status, deploy, --help) ends as
 * it would have, quietly and with its own exit code (0 when it succeeded).
 * Exiting at once instead would hide a failure (`validate bad.yaml 2>&1 |
 * head -1` must still exit 2) or cut a deploy short.
 */
export function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onOutputError);
}

function onOutputError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') return;
  // Anything else (a full disk behind `> file`) stays as loud as it was.
  throw error;
}
