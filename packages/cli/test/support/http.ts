import type { CliProcess } from './run-cli.js';

/** Waits for the CLI to say `<what> at URL` and returns the URL. */
export async function announcedUrl(cli: CliProcess, what: 'web view' | 'metrics'): Promise<string> {
  const pattern = new RegExp(`${what} at (http://\\S+)`);
  await cli.waitFor(pattern);
  const url = pattern.exec(cli.stderr)?.[1];
  if (!url) throw new Error(`no ${what} address in:\n${cli.stderr}`);
  return url;
}

/** Records everything an HTTP stream (Server-Sent Events) sends until `close`. */
export function recordStream(url: string): { text: () => string; close: () => Promise<void> } {
  const controller = new AbortController();
  let text = '';
  const reading = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.body) throw new Error(`no body from ${url}`);
    const decoder = new TextDecoder();
    for await (const chunk of response.body) text += decoder.decode(chunk, { stream: true });
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return {
    text: () => text,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
