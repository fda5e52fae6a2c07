import { getEventListeners } from 'node:events';

/**
 * AbortControllers for checkApply calls, reused. Node makes an AbortSignal
 * (an EventTarget) per controller, which costs a few microseconds and
 * garbage each: a graph of 10,000 files paid that for every check. Most
 * checks end with their controller untouched (not aborted, no listener
 * left), and such a controller serves the next check as well as a new one.
 * One that was aborted or still has a listener is dropped, so a resource
 * never shares a signal with a leftover listener or a past abort.
 */
export class ControllerPool {
  // A stack with its own count rather than push and pop: popping the last
  // element makes V8 release the array's storage, and the next push
  // allocates it again, once per check.
  readonly #spare: AbortController[] = [];
  #count = 0;

  take(): AbortController {
    if (this.#count === 0) return new AbortController();
    this.#count--;
    return this.#spare[this.#count] as AbortController;
  }

  giveBack(controller: AbortController): void {
    if (controller.signal.aborted || getEventListeners(controller.signal, 'abort').length > 0) return;
    this.#spare[this.#count] = controller;
    this.#count++;
  }
}
