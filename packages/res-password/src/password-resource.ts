import { defineResource, EngineError, type ResourceContext } from '@converge/engine-api';
import { generatePassword, isPasswordText, isWellFormedPassword } from './generate.js';
import {
  fixPasswordFileMode,
  PASSWORD_FILE_MODE,
  PASSWORD_FILE_NAME,
  passwordFilePath,
  readSavedPassword,
  removeSavedPassword,
  writeSavedPassword,
} from './password-file.js';
import { type PasswordParams, PasswordParamsSchema, type PasswordSends, PasswordSendsSchema } from './params.js';
import { watchPasswordFile } from './password-watch.js';

type PasswordContext = ResourceContext<PasswordParams, PasswordSends>;

/**
 * The `password` kind: a random password, sent to downstream resources as
 * `password`. It never appears in a log line or an error: only the send
 * carries it.
 */
export const passwordResource = defineResource({
  kind: 'password',
  description: 'A random password, sent as `password`; kept in the var dir (mode 0600) when saved, else in memory only.',
  params: PasswordParamsSchema,
  sends: PasswordSendsSchema,
  refreshable: true,
  // It keeps and sends a value: no folder, file or program another check may want comes of it.
  makesNothingOthersNeed: true,
  create(params) {
    let context: PasswordContext | undefined;
    let varDir = '';
    // Without `saved`, this is the only copy: a new instance (a restart) makes a new password.
    let inMemory: string | undefined;
    /** What the last dry-run check found to do, for describeChange (never the password). */
    let dryRun: string | undefined;

    const ctx = (): PasswordContext => {
      if (!context) throw new Error('password: checkApply before init');
      return context;
    };

    const checkApplyInMemory = async (apply: boolean): Promise<boolean> => {
      const path = passwordFilePath(varDir);
      // A file left by an earlier `saved: true` would keep a secret on disk that was asked not to be there.
      const leftover = (await readSavedPassword(path)).exists;
      const reason = inMemory === undefined ? 'none yet' : ctx().refresh() ? 'refresh requested' : undefined;
      if (reason === undefined && !leftover && inMemory !== undefined) {
        ctx().send({ password: inMemory });
        return true;
      }
      if (!apply) {
        const generate = reason === undefined ? undefined : `generate a new password of ${params.length} characters (${reason}), kept in memory only`;
        dryRun = [generate, leftover ? `remove the password saved by an earlier run (saved is false)` : undefined].filter(Boolean).join('; ');
        return false;
      }
      if (leftover) {
        await removeSavedPassword(path);
        ctx().log.info('removed the password saved by an earlier run, as saved is false');
      }
      let password = inMemory;
      if (reason !== undefined || password === undefined) {
        password = generatePassword(params.length);
        inMemory = password;
        ctx().log.info('generated a new password', { reason, length: params.length, saved: false });
      }
      ctx().send({ password });
      return false;
    };

    const checkApplySaved = async (apply: boolean): Promise<boolean> => {
      const path = passwordFilePath(varDir);
      const saved = await readSavedPassword(path);
      let reason: string | undefined;
      let recovering = false;
      if (!saved.exists) {
        reason = 'none saved yet';
      } else if (!isWellFormedPassword(saved.text, params.length)) {
        // The message says what was expected, never what was found: it may be a secret.
        if (!params.check_recovery) {
          throw new EngineError(
            'ERR_RESOURCE_CHECK_APPLY',
            `the saved password in ${path} failed its integrity check: expected a regular file holding ${params.length} characters from A-Z, a-z, 0-9`,
            {
              resource: ctx().id,
              phase: 'checkApply',
              hint: 'set check_recovery: true to replace it with a new password, or delete the file (changing length also needs this)',
            },
          );
        }
        reason = 'the saved password failed its integrity check';
        recovering = true;
      } else if (ctx().refresh()) {
        reason = 'refresh requested';
      }
      if (saved.exists && reason === undefined) {
        // Only the file's mode may be wrong. Putting it back is housekeeping of
        // this resource's own state, not a change of its value: the check is
        // converged, so notify edges fire nothing (a refreshonly exec would
        // restart a database for it) and receivers see the same password.
        if (saved.mode !== PASSWORD_FILE_MODE) await restoreMode(apply, path, saved.mode);
        ctx().send({ password: saved.text });
        return true;
      }
      if (!apply) {
        dryRun = `generate a new password of ${params.length} characters (${reason}) and save it in ${path}`;
        return false;
      }
      if (saved.exists && !saved.regular) await removeSavedPassword(path);
      const password = generatePassword(params.length);
      await writeSavedPassword(path, password);
      const fields = { reason, length: params.length, saved: true };
      if (recovering) ctx().log.warn('generated a new password', fields);
      else ctx().log.info('generated a new password', fields);
      ctx().send({ password });
      return false;
    };

    /** Sets the saved file back to 0600 (a dry run only says it would), logged at info. */
    const restoreMode = async (apply: boolean, path: string, mode: number): Promise<void> => {
      const was = mode.toString(8).padStart(4, '0');
      if (!apply) {
        ctx().log.info(`would restore mode 0600 of the saved password file (now ${was})`, { path });
        return;
      }
      await fixPasswordFileMode(path);
      ctx().log.info('restored mode 0600 of the saved password file', { path, was });
    };

    return {
      async init(initContext) {
        context = initContext;
        varDir = await initContext.varDir();
        // A password saved by an earlier run may already be in files and
        // command output that other resources show (a noop diff): masked
        // from the start, not only once this resource sends it.
        const saved = await readSavedPassword(passwordFilePath(varDir));
        if (saved.exists && isPasswordText(saved.text)) initContext.secret?.(saved.text);
      },
      watch(signal) {
        return watchPasswordFile(varDir, PASSWORD_FILE_NAME, signal, () => ctx().event());
      },
      async checkApply(apply, signal) {
        signal.throwIfAborted();
        dryRun = undefined;
        return params.saved ? checkApplySaved(apply) : checkApplyInMemory(apply);
      },
      describeChange() {
        return Promise.resolve(dryRun);
      },
    };
  },
});
