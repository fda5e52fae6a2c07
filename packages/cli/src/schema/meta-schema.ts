import type { MetaParams } from '@converge/engine-api';
import { LONGEST_WAIT_MS } from '@converge/engine';
import type { JsonSchema } from './json-schema.js';
import { withMgmtForms } from './mgmt-forms.js';

const flag = (description: string): JsonSchema => ({ type: 'boolean', description });
const number = (description: string, minimum = 0, maximum?: number): JsonSchema => ({ type: 'number', minimum, ...(maximum === undefined ? {} : { maximum }), description });
const integer = (description: string, minimum = 0): JsonSchema => ({ type: 'integer', minimum, description });
const strings = (description: string, items: JsonSchema = { type: 'string', minLength: 1 }): JsonSchema => ({
  type: 'array',
  items,
  description,
});

/**
 * Every metaparam with its editor help. A Record over `keyof MetaParams`, so
 * a metaparam added to engine-api does not compile until it is described
 * here. The ranges are the ones the engine checks when it loads a graph.
 */
const META_PROPERTIES: Readonly<Record<keyof MetaParams, JsonSchema>> = {
  noop: flag('Check only: never change anything (checkApply runs with apply=false).'),
  retry: integer('How many times a failing checkApply, and (with a budget of its own) a failing watch, is retried; -1 retries forever.', -1),
  retryreset: flag("Reset the retry budgets (checkApply's and the watch's) after every successful checkApply."),
  delay: number('Milliseconds to wait between retries (of checkApply and of the watch).', 0, LONGEST_WAIT_MS),
  timeout: number('Milliseconds a single checkApply may take before it is aborted and failed; 0 = no limit.', 0, LONGEST_WAIT_MS),
  poll: number("Seconds between polls instead of the resource's watch; 0 = use watch; -1 = check once (no watch, no poll).", -1, Math.floor(LONGEST_WAIT_MS / 1000)),
  limit: number('Most checkApply runs per second; .inf = no limit; at least one per 24.8 days.', 1000 / LONGEST_WAIT_MS),
  burst: integer('With `limit`: how many runs may come back to back before `limit` paces them (the token bucket size; 0 counts as 1).'),
  sema: strings("Semaphores to hold while checkApply runs: 'id' (size 1) or 'id:N'.", {
    type: 'string',
    // An id, optionally followed by ':' and a size of at least 1 (the size is after the last colon).
    pattern: '^(?!:)(?:[^:]+|.*:[1-9][0-9]*)$',
  }),
  autoedge: flag('Let the autoedge pass add edges to and from this resource.'),
  autogroup: flag('Let the autogroup pass group this resource with others.'),
  rewatch: flag('Restart a failed watch for ever, backing off, instead of failing the resource (takes precedence over retry).'),
  reset: flag('Forget cached state when this resource is replaced in a graph swap.'),
  hidden: flag('Not run on this host (as in mgmt): with export, published for other hosts to run.'),
  reverse: flag('When the resource leaves the graph, undo what it did (reversible kinds).'),
  realize: flag('A graph swap that would remove or replace this resource first lets it converge once.'),
  export: strings("Hosts this resource is exported to ('*' = all)."),
};

/** mgmt's metaparams that load, whatever their value, and change nothing here (the engine's legacy-params.ts says why). */
const IGNORED_MGMT_META: Readonly<Record<string, JsonSchema>> = {
  dollar: { deprecated: true, description: "mgmt's metaparam, ignored: names starting with $ are always accepted here. Remove it." },
  async: { deprecated: true, description: "mgmt's metaparam, ignored: a graph swap never waits for the running checks of resources it keeps. Remove it." },
};

/**
 * The schema of a resource's `meta:` mapping. Each metaparam may be left
 * empty (its default) and a boolean one written as mgmt's yes/no, as the
 * engine loads them (with a warning).
 */
export function metaSchema(): JsonSchema {
  const properties = Object.fromEntries(Object.entries(META_PROPERTIES).map(([key, schema]) => [key, withMgmtForms(schema, true)]));
  return {
    // Left empty (`meta:`), as validate accepts: the defaults.
    type: ['object', 'null'],
    description: 'Metaparams: engine settings every resource has.',
    properties: { ...properties, ...IGNORED_MGMT_META },
    additionalProperties: false,
  };
}
