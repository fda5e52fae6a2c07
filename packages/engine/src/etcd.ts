// A separate entry point for the etcd world: its client (gRPC, protobuf)
// takes a noticeable time to load, so only hosts run with --seeds import it
// (`await import('@converge/engine/etcd')`).
export { EtcdWorld, WorldUnreachableError } from './world/etcd-world.js';
export type { EtcdWorldOptions } from './world/etcd-world.js';
