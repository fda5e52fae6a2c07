import { spawn } from 'node:child_process';

/**
 * What libxml2 says of `text` as an XML 1.0 document: '' when it is well
 * formed. The XML parsers in node_modules (fast-xml-parser, sax) do not
 * check which characters XML allows, so an SVG holding U+FFFF passed them.
 * xmllint comes from libxml2-utils (tools/ci/setup/cli.packages): a test
 * that needs it fails without it rather than skipping.
 */
export function xmlProblems(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`xmllint could not be run (install libxml2-utils: tools/ci/setup/cli.packages): ${error.message}`)));
    child.on('close', (code) => resolve(code === 0 ? '' : stderr || `xmllint exited with ${code}`));
    child.stdin.end(text);
  });
}
