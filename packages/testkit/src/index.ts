export { createTestContext } from './test-context.js';
export type { LogEntry, LogLevel, TestContext, TestContextOptions } from './test-context.js';
export { runCase } from './run-case.js';
export type { CaseResult, CheckApplyCall, ResourceTestCase } from './run-case.js';
export { startTestEngine } from './test-engine.js';
export type { TestEngine, TestEngineOptions } from './test-engine.js';
