/**
 * The Kubernetes node agent (issue 11): cgroup identity from paths, discovery at any depth, the CRI runtime's names,
 * and a StatsCollector labelling every pod and container cgroup as kubelet's /metrics/cadvisor does.
 * docs/kubernetes.md. Loading this module does not load gRPC: the CRI client loads it when first constructed.
 */
export {
  parseCgroupIdentity,
  type CgroupIdentity,
  type CgroupKind,
  type QosClass,
  type RuntimeGuess,
} from './identity';
export { descendPredicate, isWorkloadCgroup, underKubepods, type DiscoveryOptions } from './discovery';
export {
  CriClient,
  CriError,
  DEFAULT_RUNTIME_ENDPOINTS,
  normalizeEndpoint,
  resolveRuntimeEndpoint,
  type CriClientOptions,
} from './cri-client';
export { KUBELET_LABEL_NAMES, KUBE_LABELS, NameCache, type NameCacheOptions } from './names';
export { KubernetesCollector, createKubernetesCollector, type KubernetesCollectorOptions } from './collector';
