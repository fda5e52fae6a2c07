import type { EtcdWorld, EtcdWorldOptions } from '@converge/engine';

/**
 * The etcd world for --seeds. Its client (gRPC, protobuf) is imported here,
 * on first use, so that single-host runs never pay for loading it.
 */
export async function connectEtcdWorld(options: EtcdWorldOptions): Promise<EtcdWorld> {
  const { EtcdWorld: EtcdWorldClass } = await import('@converge/engine/etcd');
  return new EtcdWorldClass(options);
}
