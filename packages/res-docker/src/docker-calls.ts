import type Docker from 'dockerode';
import { statusOf } from './docker-errors.js';

/** The call's result, or undefined when the engine answers 404 (no such object). */
export async function absentOn404<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Start and stop answer 304 when the container is already in that state: that is success. */
export async function notModifiedIsFine(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (statusOf(error) !== 304) throw error;
  }
}

/** The image's inspect data, or undefined when the engine does not have it. */
export function inspectImage(docker: Docker, ref: string, signal: AbortSignal): Promise<Docker.ImageInspectInfo | undefined> {
  const image = docker.getImage(ref);
  // dockerode 5 takes options (abortSignal) here; @types/dockerode 4 does not say so yet.
  const inspect = image.inspect.bind(image) as (options: { abortSignal: AbortSignal }) => Promise<Docker.ImageInspectInfo>;
  return absentOn404(() => inspect({ abortSignal: signal }));
}
