/**
 * A cgroup's identity from its path: lib/identity.ts (below the collector, which uses it to tell pod-level cgroups for
 * the per-pod network families), re-exported here where the Kubernetes agent's modules import it from.
 */
export {
  parseCgroupIdentity,
  type CgroupIdentity,
  type CgroupKind,
  type QosClass,
  type RuntimeGuess,
} from '../identity';
