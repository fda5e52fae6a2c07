import { definePlugin } from '@converge/engine-api';
import { passwordResource } from './password-resource.js';

export { passwordResource } from './password-resource.js';
export { generatePassword, PASSWORD_ALPHABET } from './generate.js';
export { PasswordParamsSchema, PasswordSendsSchema } from './params.js';
export type { PasswordParams, PasswordSends } from './params.js';

export default definePlugin({ name: '@converge/res-password', resources: [passwordResource] });
