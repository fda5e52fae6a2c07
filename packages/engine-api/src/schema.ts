/**
 * Param schemas are TypeBox schemas: one definition gives the TypeScript type
 * (via `Static`), the run-time validation, the send/recv type check and the
 * JSON Schema for editors. Re-exported here so that every plugin builds its
 * schemas with the same library the engine reads them with.
 */
export { Type } from '@sinclair/typebox';
export type { Static, TObject, TProperties, TSchema } from '@sinclair/typebox';
