import type { AnyResourceDefinition, ResourceDefinition, ResourceInstance, Static, TObject } from '@converge/engine-api';
import { prepareCaseParams } from './case-params.js';
import { createTestContext, type LogEntry } from './test-context.js';

/** One converged or diverged case, written as data. */
export interface ResourceTestCase {
  /** The resource's name; also fills the kind's name param when `params` leaves it out. */
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Prepares the real world before the resource is made (e.g. writes a file). */
  setup?(): unknown;
  /**
   * `converged`: the first check finds nothing to do. `diverged`: the first
   * check finds work, one apply does it, and a second apply changes nothing.
   */
  readonly expect: 'converged' | 'diverged';
  /** Checks the real world after the case ran (throw to fail). */
  verify?(): unknown;
  /** Whether `ctx.refresh()` answers true, as after a notify edge. */
  readonly refresh?: boolean;
}

/** One checkApply call the case made, in order. */
export interface CheckApplyCall {
  readonly apply: boolean;
  readonly result: boolean;
}

export interface CaseResult {
  readonly name: string;
  readonly expect: 'converged' | 'diverged';
  readonly calls: readonly CheckApplyCall[];
  /** Everything the resource sent, merged. */
  readonly sent: Readonly<Record<string, unknown>>;
  readonly logs: readonly LogEntry[];
}

/** Runs `step`; a throw becomes an Error that names the case and the step. */
async function step<T>(where: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${where} threw: ${message}`, { cause: error });
  }
}

/**
 * Runs one case against a resource kind the way the engine would: create,
 * init, checkApply(false), and for a diverged case checkApply(true) twice,
 * then `verify`; `cleanup` always runs. Throws an Error saying which step
 * broke the expectation. Usable from any test framework.
 */
export async function runCase<PS extends TObject, SS extends TObject>(
  definition: ResourceDefinition<PS, SS>,
  testCase: ResourceTestCase,
): Promise<CaseResult> {
  const label = `runCase ${definition.kind}[${testCase.name}] (expect ${testCase.expect})`;
  // Checked against the schema before use, so the erased type is safe to narrow back.
  const params = prepareCaseParams(definition as unknown as AnyResourceDefinition, testCase.name, testCase.params) as Static<PS>;
  const harness = createTestContext<Static<PS>, Static<SS>>({ kind: definition.kind, name: testCase.name });
  harness.setRefresh(testCase.refresh ?? false);
  const calls: CheckApplyCall[] = [];
  const controller = new AbortController();
  let instance: ResourceInstance<Static<PS>, Static<SS>> | undefined;

  const checkApply = async (apply: boolean, expected: boolean, meaning: string): Promise<void> => {
    const current = instance;
    if (!current) return;
    const result = await step(`${label}: checkApply(apply=${apply}) #${calls.length + 1}`, () =>
      current.checkApply(apply, controller.signal),
    );
    calls.push({ apply, result });
    // The engine clears a pending refresh once an apply succeeded.
    if (apply) harness.setRefresh(false);
    if (result !== expected) {
      throw new Error(`${label}: checkApply(apply=${apply}) #${calls.length} returned ${result}, expected ${expected}: ${meaning}`);
    }
  };

  let failure: unknown;
  try {
    await step(`${label}: setup`, () => testCase.setup?.());
    instance = await step(`${label}: create`, () => definition.create(params));
    const created = instance;
    await step(`${label}: init`, () => created.init?.(harness.ctx));
    if (testCase.expect === 'converged') {
      await checkApply(false, true, 'the state should already match the params');
    } else {
      await checkApply(false, false, 'the state should differ from the params before any apply');
      await checkApply(true, false, 'an apply that changes something must return false');
      await checkApply(true, true, 'one apply must converge: a second apply should find nothing to change');
    }
    await step(`${label}: verify`, () => testCase.verify?.());
  } catch (error) {
    failure = error;
  } finally {
    controller.abort();
    const created = instance;
    if (created?.cleanup) {
      try {
        await step(`${label}: cleanup`, () => created.cleanup?.());
      } catch (error) {
        failure ??= error;
      }
    }
    await harness.dispose();
  }
  if (failure !== undefined) throw failure;
  return { name: testCase.name, expect: testCase.expect, calls, sent: harness.sent(), logs: harness.logs() };
}
