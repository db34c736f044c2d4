/**
 * A StatsCollector for a Kubernetes node: discovers every pod and container cgroup at any depth (lib/kubernetes/
 * discovery.ts, one TreeWatcher per root) and labels each as kubelet's /metrics/cadvisor does, from the path
 * (identity.ts) and the CRI runtime's names (names.ts). Sweeps never wait for the runtime.
 *
 *   const c = createKubernetesCollector({ runtimeEndpoint: 'unix:///run/containerd/containerd.sock' });
 *   c.on('warning', (e) => console.warn(e.message));
 *   const srv = await createMetricsServer({ collector: c });
 */
import { StatsCollector, type CollectorOptions } from '../collector/collector';
import type { Labels } from '../collector/sweep';
import type { TreeWatcher } from '../collector/watch';
import { invalidArg } from '../errors';
import { resolveRuntimeEndpoint } from './cri-client';
import { descendPredicate, isWorkloadCgroup } from './discovery';
import { parseCgroupIdentity, type CgroupIdentity } from './identity';
import { NameCache, type NameCacheOptions } from './names';

export interface KubernetesCollectorOptions extends CollectorOptions, NameCacheOptions {
  /** The CRI endpoint (`unix:///…`); default CONTAINER_RUNTIME_ENDPOINT, else the usual containerd / CRI-O sockets.
   * `false`: no runtime (labels from nothing: `id` only). */
  runtimeEndpoint?: string | false;
  /** Cgroups (relative to the root) below which to look. Default ['/']. */
  roots?: readonly string[];
  /** How deep below a root a kubepods component is looked for. Default 2. */
  searchDepth?: number;
  /** inotify watches at most (per root); then one warning and periodic rescans. Default 8192. */
  maxWatches?: number;
  /** The fallback rescan period. Default 5000 ms. */
  rescanIntervalMs?: number;
  /** A full rescan this often while inotify works (events lost to a queue overflow are caught). Default 10000 ms. */
  verifyIntervalMs?: number;
}

export class KubernetesCollector extends StatsCollector {
  /** The runtime's names (undefined with `runtimeEndpoint: false`). */
  readonly names: NameCache | undefined;
  readonly trees: TreeWatcher[] = [];
  readonly runtimeEndpoint: string | undefined;
  /** Parsed identities of registered paths (relabelling all rows does not parse every path again). */
  private readonly identities = new Map<string, CgroupIdentity>();

  constructor(options: KubernetesCollectorOptions = {}) {
    super(options);
    try {
      if (options.runtimeEndpoint === false) {
        this.runtimeEndpoint = undefined;
        this.names = undefined;
      } else {
        this.runtimeEndpoint = resolveRuntimeEndpoint(options.runtimeEndpoint);
        this.names = new NameCache(this.runtimeEndpoint, options);
        this.names.on('warning', (err) => this.emit('warning', err));
        this.names.on('change', () => this.relabel());
        this.names.on('refreshed', () => this.retryUnnamed());
        this.on('gone', (e) => this.identities.delete(e.path));
      }
      const roots = options.roots ?? ['/'];
      if (!Array.isArray(roots) || roots.length === 0)
        throw invalidArg('roots', roots, 'must be a non-empty array of cgroup paths');
      const descend = descendPredicate(options.searchDepth === undefined ? {} : { searchDepth: options.searchDepth });
      for (const root of roots as readonly string[]) {
        this.trees.push(
          this.watchTree(root, {
            filter: isWorkloadCgroup,
            descend,
            labels: (p) => this.labelsFor(p, true),
            ...(options.maxWatches === undefined ? {} : { maxWatches: options.maxWatches }),
            ...(options.rescanIntervalMs === undefined ? {} : { rescanIntervalMs: options.rescanIntervalMs }),
            ...(options.verifyIntervalMs === undefined ? {} : { verifyIntervalMs: options.verifyIntervalMs }),
          }),
        );
      }
      this.names?.start();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Kubelet's labels for a registered path: {} (only `id`) while the runtime has not named it. */
  labelsFor(p: string, poke = false): Labels {
    const identity = this.cgroupIdentity(p);
    if (this.names === undefined) return {};
    const labels = this.names.labelsFor(identity);
    if (labels === undefined && poke && identity.kind !== 'other' && identity.kind !== 'conmon') this.names.poke();
    return labels ?? {};
  }

  /** The identity of a path (cached while the path is registered). */
  cgroupIdentity(p: string): CgroupIdentity {
    let id = this.identities.get(p);
    if (id === undefined) {
      id = parseCgroupIdentity(p);
      this.identities.set(id.path, id);
    }
    return id;
  }

  /** Recomputes every row's labels (after the runtime's names changed). */
  relabel(): void {
    for (const p of this.paths()) this.setLabels(p, this.labelsFor(p));
  }

  private unnamedRetries = 0;

  /** After a relist: cgroups of pods or containers still unnamed (made before the runtime stored them), or images not
   * resolved yet, ask for another relist soon, at growing intervals (minRefreshMs doubling, up to the regular poll). */
  private retryUnnamed(): void {
    let unnamed = this.names?.unresolved() ?? false;
    for (const p of unnamed ? [] : this.paths()) {
      const kind = this.cgroupIdentity(p).kind;
      if (
        (kind === 'pod' || kind === 'sandbox-or-container' || kind === 'container') &&
        Object.keys(this.labelsOf(p) ?? {}).length === 0
      ) {
        unnamed = true;
        break;
      }
    }
    if (!unnamed) {
      this.unnamedRetries = 0;
      return;
    }
    this.names?.retryIn(250 * 2 ** Math.min(this.unnamedRetries++, 8));
  }

  /** Rescans every root now. */
  rescan(): void {
    for (const t of this.trees) t.rescan();
  }

  override close(): void {
    this.names?.close();
    super.close();
  }
}

/** A StatsCollector that discovers, names and follows every pod and container cgroup of this node. */
export function createKubernetesCollector(options: KubernetesCollectorOptions = {}): KubernetesCollector {
  return new KubernetesCollector(options);
}
