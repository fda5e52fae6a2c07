import { InterceptingCall, status, type ChannelOptions, type Interceptor } from '@grpc/grpc-js';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, isBrokenCircuitError, type IDefaultPolicyContext, type IPolicy } from 'cockatiel';
import { GRPCCancelledError, isRecoverableError } from 'etcd3';

/*
 * An etcd member that hangs rather than dies (stopped, or cut off by the
 * network) keeps its TCP connections open: nothing fails, so a stream through
 * it (the watch every collector waits on) stays silent until the member
 * resumes (QA: 84 s). These settings make such a stream fail, so that etcd3
 * reconnects it through another member, from the last revision it saw.
 */

/**
 * gRPC pings on each connection while a call is open on it: one not answered
 * within 3 s drops the connection. Not more often than every 6 s: etcd closes a
 * connection that pings more often than its --grpc-keepalive-min-time (5 s by
 * default), and, for the same reason, no pings without a call.
 */
export const KEEPALIVE: ChannelOptions = {
  'grpc.keepalive_time_ms': 6000,
  'grpc.keepalive_timeout_ms': 3000,
};

/**
 * Asks etcd to end a stream when its member has no leader, and to refuse
 * one opened there (etcd's `hasleader` metadata, what its own client's
 * WithRequireLeader sends). A member cut off from the others by the network
 * still answers keepalive pings, but its watches see no change any more:
 * without this, a collector watching through it waited, silent, until the
 * partition healed. etcd ends such a stream after about three election
 * timeouts without a leader, "etcdserver: no leader", and etcd3 opens it
 * again through another member, from the last revision it saw.
 */
export const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('hasleader', 'true');
      next(metadata, listener);
    },
  });

/** What a stream's interceptor tells about it: `peer` is the member's address. */
export interface StreamEvents {
  /** The stream got its first answer. */
  answered(peer: string): void;
  /** A stream that had answered ended with an error (not cancelled by the client). */
  dropped(peer: string, details: string): void;
}

/**
 * Fails a stream that got no first answer within `ms`. Connecting to a hung
 * member never ends (its kernel accepts, etcd never answers) and keepalive
 * only starts once connected, so a watch that reconnected to the hung member
 * would wait there. etcd answers a watch's or a lease keepalive's first
 * request at once.
 */
export function firstAnswerWithin(ms: number, events?: StreamEvents): Interceptor {
  return (options, nextCall) => {
    const call: InterceptingCall = new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        let peer: string | undefined;
        const timer = setTimeout(() => {
          call.cancelWithStatus(status.UNAVAILABLE, `etcd did not answer within ${ms} ms (is the member hung?)`);
        }, ms);
        next(metadata, {
          onReceiveMessage(message, forward) {
            if (peer === undefined) {
              clearTimeout(timer);
              peer = call.getPeer();
              events?.answered(peer);
            }
            forward(message);
          },
          onReceiveStatus(received, forward) {
            clearTimeout(timer);
            if (peer !== undefined && received.code !== status.OK && received.code !== status.CANCELLED) {
              events?.dropped(peer, `${received.code} ${status[received.code]}: ${received.details}`);
            }
            forward(received);
          },
        });
      },
    });
    return call;
  };
}

/** How long a member that failed is passed by. */
const PASS_BY_MS = 5000;

/**
 * Passes a member by for 5 s after one failure. etcd3 waits for three in a
 * row, but it counts a stream as a success once opened, so the hung member a
 * watch just gave up on never reached three: the watch could reconnect to it
 * (one time in three) and wait out another timeout there. Remembers the last
 * failure, to tell instead of cockatiel's "Execution prevented because the
 * circuit breaker is open" when every member is being passed by (QA: the
 * only reason a warning gave for losing etcd).
 */
export class MemberFailures {
  #last: Error | undefined;

  /** A policy for one member (etcd3's faultHandling.host). */
  readonly policy = (): IPolicy<IDefaultPolicyContext> => {
    const breaker = circuitBreaker(handleWhen(isMemberFailure), { halfOpenAfter: PASS_BY_MS, breaker: new ConsecutiveBreaker(1) });
    breaker.onFailure(({ reason }) => {
      if ('error' in reason && !isBrokenCircuitError(reason.error)) this.#last = reason.error;
    });
    return breaker;
  };

  /** `error`, or, when it only says that every member is being passed by, the failure that made the last of them so. */
  explain(error: unknown): unknown {
    if (!isBrokenCircuitError(error) || this.#last === undefined) return error;
    return new Error(`every etcd member failed in the last ${PASS_BY_MS / 1000} s, the last with: ${this.#last.message}`, { cause: error });
  }
}

/**
 * A failure that says something of the member. Not a call this client
 * cancelled (a watch ended as the agent stops): counted, it passed the
 * member by, and the lease revoke that follows was refused, so a cleanly
 * stopped host's keys stayed for the lease's whole TTL (QA).
 */
function isMemberFailure(error: Error): boolean {
  return isRecoverableError(error) && !(error instanceof GRPCCancelledError && error.message.includes('Cancelled on client'));
}
