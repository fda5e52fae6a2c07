import { defineResource, EngineError, Type, type ResourceContext, type Static } from '@converge/engine-api';

const KvParamsSchema = Type.Object({
  key: Type.String({ minLength: 1, description: 'The shared key; defaults to the resource name.' }),
  value: Type.Optional(
    Type.String({ description: 'The value to store (state set); may be received through send/recv.' }),
  ),
  state: Type.Optional(
    Type.Union([Type.Literal('set'), Type.Literal('absent'), Type.Literal('read')], {
      description: 'set: store value (default); absent: delete the key; read: only read it and send it on.',
    }),
  ),
  mapped: Type.Optional(
    Type.Boolean({ description: 'Per-host map: each host has its own entry under the key (default false).' }),
  ),
  host: Type.Optional(
    Type.String({ minLength: 1, description: 'With mapped and state read: whose entry to read (default this host).' }),
  ),
  skiplessthan: Type.Optional(
    Type.Boolean({ description: 'Leave a value in the world that is greater than `value` (compared as skipcmpstyle says); a refresh sets it all the same.' }),
  ),
  skipcmpstyle: Type.Optional(
    Type.Union([Type.Literal(0), Type.Literal(1)], { description: 'How skiplessthan compares: 0 as whole numbers (default), 1 as strings.' }),
  ),
});
const KvSendsSchema = Type.Object({
  value: Type.String({ description: 'The value now in the world (after set, or as read).' }),
});

type KvParams = Static<typeof KvParamsSchema>;
type KvSends = Static<typeof KvSendsSchema>;

/** Where a kv key lives in the world: one shared key, or one entry per host. */
export function kvWorldKey(key: string, mapped: boolean, host: string): string {
  return mapped ? `kvmap/${key}/${host}` : `kv/${key}`;
}

/**
 * The built-in `kv` kind: a key in the world shared by every host (etcd with
 * `--seeds`, the local world otherwise). It stores a value, deletes the key,
 * or only reads it; in every case the value in the world is sent on as
 * `value`, so another host's value can fill, say, a file's content.
 */
export const kvResource = defineResource({
  kind: 'kv',
  description: 'A key in the shared world: set, delete or read it; sends the value it holds.',
  params: KvParamsSchema,
  sends: KvSendsSchema,
  nameParam: 'key',
  refreshable: true,
  // A key in the world: nothing on this host that another check may want comes of it.
  makesNothingOthersNeed: true,
  validate(params) {
    if (params.host !== undefined && !(params.mapped === true && params.state === 'read')) {
      return [{ param: 'host', message: 'host only applies to reading a per-host entry', hint: 'add `mapped: true` and `state: read`' }];
    }
    if (params.skiplessthan !== undefined && (params.state ?? 'set') !== 'set') {
      return [{ param: 'skiplessthan', message: 'skiplessthan only applies to setting a value', hint: 'remove it, or the state' }];
    }
    if (params.skiplessthan === true && (params.skipcmpstyle ?? 0) === 0 && params.value !== undefined && !WHOLE_NUMBER.test(params.value)) {
      return [{ param: 'value', message: 'skiplessthan compares as whole numbers, and value is not one', hint: 'write a whole number, or skipcmpstyle: 1 to compare as strings' }];
    }
    return undefined;
  },
  create(params) {
    let context: ResourceContext<KvParams, KvSends> | undefined;
    const ctx = (): ResourceContext<KvParams, KvSends> => {
      if (!context) throw new Error('kv: used before init');
      return context;
    };
    const worldKey = (): string => kvWorldKey(params.key, params.mapped === true, params.host ?? ctx().hostname);
    const state = params.state ?? 'set';

    return {
      init(initContext) {
        context = initContext;
      },
      async watch(signal) {
        const key = worldKey();
        let first = true;
        // Told if it lasts: etcd away, or --seeds wrong (QA: the warning spoke of ctx.event() instead).
        ctx().waitingFor?.(`${ctx().world.where ?? 'the shared world'} to answer`);
        for await (const batch of ctx().world.watch(key, signal)) {
          // The first batch (what is there now) always counts: it says the watch is live.
          if (first || batch.some((change) => change.key === key)) ctx().event();
          first = false;
        }
      },
      async checkApply(apply, signal) {
        const world = ctx().world;
        const key = worldKey();
        let current: string | undefined;
        try {
          current = await world.get(key);
        } catch (error) {
          // A read while the world is away keeps the value last sent on, as
          // the whole host keeps enforcing its last graph; the world logged
          // the loss once, and its watch tells when it is back.
          if (state === 'read' && isWorldUnreachable(error)) return true;
          throw error;
        }
        signal.throwIfAborted();
        if (state === 'read') {
          if (current !== undefined) ctx().send({ value: current });
          return true;
        }
        if (state === 'absent') {
          if (current === undefined) return true;
          if (!apply) return false;
          await world.delete(key);
          ctx().log.info('deleted the key', { key: params.key });
          return false;
        }
        // `value` is read at checkApply time: send/recv may have filled it.
        const wanted = params.value;
        if (wanted === undefined && ctx().receives?.has('value') !== true) {
          // No value and none to receive: mgmt deletes the key.
          if (current === undefined) return true;
          if (!apply) return false;
          await world.delete(key);
          ctx().log.info('deleted the key (no value given)', { key: params.key });
          return false;
        }
        // A dry run: the value may be one a sender would make (a password),
        // and does not make in noop. A real run says if none ever comes.
        if (wanted === undefined && !apply) return false;
        if (wanted === undefined) {
          throw new EngineError('ERR_RESOURCE_CHECK_APPLY', 'kv has no value to set', {
            resource: ctx().id,
            phase: 'checkApply',
            hint: 'give `value`, receive one through send/recv, or use `state: read` / `state: absent`',
          });
        }
        if (current === wanted || (params.skiplessthan === true && current !== undefined && !ctx().refresh() && isGreater(current, wanted, params.skipcmpstyle ?? 0))) {
          ctx().send({ value: current });
          return true;
        }
        if (!apply) return false;
        await world.set(key, wanted);
        ctx().log.info('set the key', { key: params.key });
        ctx().send({ value: wanted });
        return false;
      },
    };
  },
});

const WHOLE_NUMBER = /^-?\d+$/;

/** skiplessthan's comparison: as whole numbers (a value in the world that is not one is not greater), or as strings. */
function isGreater(current: string, wanted: string, style: 0 | 1): boolean {
  if (style === 1) return current > wanted;
  return WHOLE_NUMBER.test(current) && WHOLE_NUMBER.test(wanted) && BigInt(current) > BigInt(wanted);
}

/** By name: the etcd world (and its client) is loaded only by clustered runs. */
function isWorldUnreachable(error: unknown): boolean {
  return error instanceof Error && error.name === 'WorldUnreachableError';
}
