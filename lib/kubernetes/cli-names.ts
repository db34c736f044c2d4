/**
 * Namespace, pod and container of cgroups for the one-shot CLI views (`cgmgr stats --kubernetes`): one relist of the
 * CRI runtime, bounded by its timeout, then lookups by path. An unreachable runtime is one warning and no names.
 */
import { resolveRuntimeEndpoint } from './cri-client';
import { parseCgroupIdentity } from './identity';
import { NameCache } from './names';

export interface WorkloadNames {
  namespace: string;
  pod: string;
  container: string;
}

export interface WorkloadNamer {
  /** The names of a cgroup, or undefined when the runtime does not know it (or it is no pod or container). */
  lookup(path: string): WorkloadNames | undefined;
  close(): void;
}

export async function workloadNamer(
  endpoint: string | undefined,
  warn: (message: string) => void,
  timeoutMs = 3000,
): Promise<WorkloadNamer> {
  const names = new NameCache(resolveRuntimeEndpoint(endpoint), { timeoutMs, refreshIntervalMs: 3600000 });
  await names.refresh();
  if (!names.up)
    warn(
      `container runtime at ${names.client.endpoint} unreachable (${names.lastError?.message ?? 'no answer'}): no pod names`,
    );
  names.close();
  return {
    lookup(p) {
      const l = names.labelsFor(parseCgroupIdentity(p));
      return l === undefined
        ? undefined
        : { namespace: l.namespace ?? '', pod: l.pod ?? '', container: l.container ?? '' };
    },
    close: () => names.close(),
  };
}

/** `namespace/pod` or `namespace/pod/container` (a sandbox or pod-level cgroup has no container name). */
export function workloadLabel(n: { namespace?: string; pod?: string; container?: string } | undefined): string {
  if (n === undefined || !n.pod) return '';
  return n.container ? `${n.namespace}/${n.pod}/${n.container}` : `${n.namespace}/${n.pod}`;
}
