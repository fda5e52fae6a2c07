/** Where in a graph file something was written (1-based line and column). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Stable error codes. Input codes (bad graphs, bad usage, plugins that cannot
 * be loaded) make the CLI exit with 2 and apply nothing; resource codes are
 * failures of one resource at run time and make the CLI exit with 1.
 */
export const INPUT_ERROR_CODES = [
  'ERR_USAGE',
  'ERR_GRAPH_FILE',
  'ERR_YAML_SYNTAX',
  'ERR_GRAPH_SHAPE',
  'ERR_UNKNOWN_KIND',
  'ERR_UNKNOWN_PARAM',
  'ERR_PARAM_TYPE',
  'ERR_PARAM_INVALID',
  'ERR_META_INVALID',
  'ERR_DUPLICATE_RESOURCE',
  'ERR_UNKNOWN_RESOURCE',
  'ERR_SELF_EDGE',
  'ERR_CYCLE',
  'ERR_SEND_RECV',
  'ERR_PLUGIN_NOT_INSTALLED',
  'ERR_PLUGIN_INCOMPATIBLE',
  'ERR_PLUGIN_LOAD_FAILED',
  'ERR_PLUGIN_INVALID',
] as const;

export const RESOURCE_ERROR_CODES = [
  'ERR_RESOURCE_INIT',
  'ERR_RESOURCE_WATCH',
  'ERR_RESOURCE_CHECK_APPLY',
  'ERR_RESOURCE_CLEANUP',
  'ERR_RESOURCE_TIMEOUT',
  'ERR_RESOURCE_BLOCKED',
] as const;

export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];
export type ResourceErrorCode = (typeof RESOURCE_ERROR_CODES)[number];
export type EngineErrorCode = InputErrorCode | ResourceErrorCode | 'ERR_INTERNAL';

/** The lifecycle step of a resource (or of the engine) an error came from. */
export type Phase = 'load' | 'validate' | 'init' | 'watch' | 'checkApply' | 'cleanup' | 'shutdown';

export interface EngineErrorOptions {
  /** `kind[name]` of the resource concerned, when there is one. */
  readonly resource?: string;
  readonly phase?: Phase;
  /** Where in a graph file the problem was written. */
  readonly location?: SourceLocation;
  /** What the user can do about it, said as an instruction. */
  readonly hint?: string;
  readonly cause?: unknown;
  /**
   * For the error of a resource with a group (autogroup): the members it
   * is about, by position (0 = the resource itself, 1… those given to
   * `group()`, in that order). Only those are reported failed; the others
   * count as converged by this check (it did what they ask). Left out,
   * the error is about every member. Engine API 1.5.
   */
  readonly members?: readonly number[];
  /**
   * The check failed for want of something another resource may make (a
   * folder, a source file, a program, a user, an image): in a dry run under
   * a resource that would change, the engine then counts it as would change
   * after that one rather than failed. Engine API 1.10.
   */
  readonly missing?: boolean;
  /**
   * A dry run's check found changes it would make before this failure (the
   * real run makes them, then fails the same way): the engine tells the
   * resource would change, with what its `describeChange` says, and then the
   * failure, as it does for the members of a group that did not fail. Not
   * for a group's error that names `members` (those say it). Engine API
   * 1.12; an older engine tells the failure alone.
   */
  readonly wouldChange?: boolean;
}

const ENGINE_ERROR_TAG = Symbol.for('@converge/engine-api/EngineError');

/**
 * The one error type converge reports. It is recognised by a tag rather than
 * `instanceof`, so two copies of this package in one install still agree.
 */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly resource: string | undefined;
  readonly phase: Phase | undefined;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;
  /** See EngineErrorOptions.members. */
  readonly members: readonly number[] | undefined;
  /** See EngineErrorOptions.missing. */
  readonly missing: boolean;
  /** See EngineErrorOptions.wouldChange. */
  readonly wouldChange: boolean;

  constructor(code: EngineErrorCode, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.resource = options.resource;
    this.phase = options.phase;
    this.location = options.location;
    this.hint = options.hint;
    this.members = options.members === undefined ? undefined : Object.freeze([...options.members]);
    this.missing = options.missing ?? false;
    this.wouldChange = options.wouldChange ?? false;
    Object.defineProperty(this, ENGINE_ERROR_TAG, { value: true });
  }

  /** True for bad input: the CLI exits with 2 and nothing is applied. */
  get isInputError(): boolean {
    return (INPUT_ERROR_CODES as readonly string[]).includes(this.code);
  }

  /** `file:line:column: kind[name]: message (hint)`, the form users see. */
  describe(): string {
    const where = this.location ? `${this.location.file}:${this.location.line}:${this.location.column}: ` : '';
    const who = this.resource ? `${this.resource}: ` : '';
    const hint = this.hint ? `\n  hint: ${this.hint}` : '';
    return `${where}${who}${this.message}${hint}`;
  }
}

export function isEngineError(value: unknown): value is EngineError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ENGINE_ERROR_TAG] === true;
}
