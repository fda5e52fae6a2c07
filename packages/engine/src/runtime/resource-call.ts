import { EngineError, isEngineError, type Phase, type ResourceErrorCode } from '@converge/engine-api';

const PHASE_CODES: Record<Exclude<Phase, 'load' | 'validate' | 'shutdown'>, ResourceErrorCode> = {
  init: 'ERR_RESOURCE_INIT',
  watch: 'ERR_RESOURCE_WATCH',
  checkApply: 'ERR_RESOURCE_CHECK_APPLY',
  cleanup: 'ERR_RESOURCE_CLEANUP',
};

type CallPhase = keyof typeof PHASE_CODES;

/**
 * Turns anything a resource threw into an EngineError of that resource and
 * phase. The resource's own EngineError keeps its code and hint.
 */
export function resourceError(resource: string, phase: CallPhase, thrown: unknown): EngineError {
  if (isEngineError(thrown) && thrown.resource === resource) return thrown;
  if (isEngineError(thrown)) {
    return new EngineError(thrown.code, thrown.message, {
      resource,
      phase,
      ...(thrown.hint === undefined ? {} : { hint: thrown.hint }),
      ...(thrown.members === undefined ? {} : { members: thrown.members }),
      ...(thrown.missing ? { missing: true } : {}),
      ...(thrown.wouldChange ? { wouldChange: true } : {}),
      cause: thrown.cause ?? thrown,
    });
  }
  const message = thrown instanceof Error ? thrown.message : `threw a non-error value: ${String(thrown)}`;
  return new EngineError(PHASE_CODES[phase], `${phase} failed: ${message}`, { resource, phase, cause: thrown });
}

/** True for a promise, or anything else with a `then` (what `await` would wait for). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Calls one resource method through the single place that guards it: a throw
 * (sync or async) becomes an EngineError of the resource. With a
 * `controller`, aborting it through `abortCall` (a timeout, or a forced stop)
 * settles the call at once with the abort reason, even if the resource
 * ignores its signal; with `timeoutMs > 0` the call is aborted with
 * ERR_RESOURCE_TIMEOUT.
 */
export async function callResource<T>(
  resource: string,
  phase: CallPhase,
  call: () => Promise<T> | T,
  timeoutMs = 0,
  controller?: AbortController,
): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(call());
  } catch (thrown) {
    pending = Promise.reject(thrown);
  }
  return guardPending(resource, phase, pending, timeoutMs, controller);
}

/**
 * callResource for the hot path (no timeout): a method that answers at once
 * (a value, not a promise) is answered at once, without a promise or a turn
 * of the event loop; a promise is guarded as callResource guards it. A
 * synchronous throw is thrown at once, as the resource's EngineError.
 */
export function callResourceNow<T>(resource: string, phase: CallPhase, call: () => Promise<T> | T, controller?: AbortController): T | Promise<T> {
  let result: Promise<T> | T;
  try {
    result = call();
  } catch (thrown) {
    throw resourceError(resource, phase, thrown);
  }
  return guardedNow(resource, phase, result, controller);
}

/**
 * What callResourceNow answers, for a call its caller made itself (in a
 * try whose catch passes the throw through resourceError): a value as it
 * is, a promise guarded. The engine's per-resource paths call so, without
 * a closure and its context per call.
 */
export function guardedNow<T>(resource: string, phase: CallPhase, result: Promise<T> | T, controller?: AbortController): T | Promise<T> {
  if (!isThenable(result)) return result;
  return guardPending(resource, phase, Promise.resolve(result), 0, controller);
}

async function guardPending<T>(
  resource: string,
  phase: CallPhase,
  pending: Promise<T>,
  timeoutMs: number,
  controller: AbortController | undefined,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (!controller) return await pending;
    // One promise that settles with the call or with the abort, whichever
    // comes first; no event listener per call (this runs for every
    // checkApply of every resource).
    let timedOut: EngineError | undefined;
    const settled = new Promise<T>((resolve, reject) => {
      pending.then(
        (value) => (timedOut ? reject(timedOut) : resolve(value)),
        (error: unknown) => reject(timedOut ? withAccount(timedOut, error) : error),
      );
      cancellers.set(controller, reject);
    });
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = new EngineError('ERR_RESOURCE_TIMEOUT', `${phase} did not finish within ${timeoutMs} ms`, {
          resource,
          phase,
          hint: 'raise meta: {timeout: ...} or find out why the call hangs',
        });
        controller.abort(timedOut);
        endings.set(controller, pending.then(noop, noop));
        // A call that ends at its abort gets this long to say how it ended
        // (a command's last stderr lines tell why it hung); then the
        // timeout is told alone.
        timer = setTimeout(() => cancellers.get(controller)?.(timedOut), TIMEOUT_ACCOUNT_MS);
      }, timeoutMs);
    }
    if (controller.signal.aborted) abortCall(controller, controller.signal.reason);
    // A call that ignores its abort signal is abandoned: it may still settle
    // later, and that late result is swallowed here.
    pending.catch(() => undefined);
    return await settled;
  } catch (thrown) {
    throw resourceError(resource, phase, thrown);
  } finally {
    clearTimeout(timer);
    if (controller) cancellers.delete(controller);
  }
}

const cancellers = new WeakMap<AbortController, (reason: unknown) => void>();

/** For a call that timed out: when it has really ended (it may run on after its abort). */
const endings = new WeakMap<AbortController, Promise<void>>();

function noop(): void {}

/** When the call guarded with `controller` that timed out has ended; undefined when it did not time out. */
export function endingOf(controller: AbortController | undefined): Promise<void> | undefined {
  return controller === undefined ? undefined : endings.get(controller);
}

/** How long a timed-out call may take to end at its abort, for its own account of it. */
const TIMEOUT_ACCOUNT_MS = 500;

/** The timeout, with what the call said as it was stopped (unless that is the timeout itself). */
function withAccount(timeout: EngineError, error: unknown): EngineError {
  if (error === timeout || !(error instanceof Error)) return timeout;
  return new EngineError('ERR_RESOURCE_TIMEOUT', `${timeout.message}; stopped then: ${error.message}`, {
    ...(timeout.resource === undefined ? {} : { resource: timeout.resource }),
    ...(timeout.phase === undefined ? {} : { phase: timeout.phase }),
    ...(timeout.hint === undefined ? {} : { hint: timeout.hint }),
    cause: error,
  });
}

/** Aborts `controller` (the resource sees its signal abort) and settles its guarded call now. */
export function abortCall(controller: AbortController, reason: unknown): void {
  controller.abort(reason);
  cancellers.get(controller)?.(reason);
}
