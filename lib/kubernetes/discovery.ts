/**
 * Where a node's pod and container cgroups are, and which cgroups the agent registers: every cgroup at or below a
 * `kubepods` / `kubepods.slice` component (wherever kubelet's --cgroup-root puts it, found within `searchDepth` levels
 * of a watched root), plus container cgroups of other runtimes (podman's libpod-, docker's) found on the way.
 * Directories inside a container's own cgroup are not descended into (a container's nested cgroups are not series).
 */
import type { TreeWatchOptions } from '../collector/watch';
import { parseCgroupIdentity } from './identity';

export interface DiscoveryOptions {
  /** How deep below a watched root a kubepods component is looked for (default 2: `/kubepods`, `/x/kubepods`). */
  searchDepth?: number;
}

/** Whether a path has a kubepods component (the cgroupfs or systemd driver's name). */
export function underKubepods(p: string): boolean {
  return p.split('/').some((c) => c === 'kubepods' || c === 'kubepods.slice' || c.endsWith('-kubepods.slice'));
}

/** Which cgroups to register: all below kubepods (QoS levels, pods, containers, conmon), and containers elsewhere. */
export function isWorkloadCgroup(p: string): boolean {
  return underKubepods(p) || parseCgroupIdentity(p).kind !== 'other';
}

/** Whether to watch below a directory: kubepods subtrees down to the containers; elsewhere only to `searchDepth`. */
export function descendPredicate(options: DiscoveryOptions = {}): NonNullable<TreeWatchOptions['descend']> {
  const searchDepth = options.searchDepth ?? 2;
  return (p, depth) => {
    const kind = parseCgroupIdentity(p).kind;
    if (kind === 'sandbox-or-container' || kind === 'container' || kind === 'conmon') return false;
    return underKubepods(p) || depth < searchDepth;
  };
}
