/**
 * The names of a node's pods and containers as kubelet's /metrics/cadvisor labels them, cached from the CRI runtime:
 * refreshed by a bounded poll (ListPodSandbox + ListContainers), at once when the runtime's event stream reports a
 * change or when discovery meets a container id it does not know (at most once per `minRefreshMs`). Lookups never
 * wait for the runtime. Runtime unreachable, slow or restarted: one warning, retries with exponential back-off, the
 * names already known stay (a container id's names never change), new cgroups carry only `id` until it is back.
 */
import { EventEmitter } from 'node:events';
import type { Labels } from '../collector/sweep';
import { CriClient, type CriClientOptions, type CriContainer, type CriPodSandbox } from './cri-client';
import type { CgroupIdentity } from './identity';

/** Kubelet's labels on a sandbox and its containers (pkg/kubelet/types/labels.go). */
export const KUBE_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** The label names kubelet's /metrics/cadvisor puts on every cgroup series (besides `id`). */
export const KUBELET_LABEL_NAMES = ['container', 'image', 'name', 'namespace', 'pod'] as const;

interface PodInfo {
  namespace: string;
  name: string;
}

interface SandboxInfo extends PodInfo {
  uid: string;
  labels: Record<string, string>;
  /** undefined until resolved (retried on the next relists, IMAGE_TRIES times at most). */
  image: string | undefined;
  imageTries: number;
}

interface ContainerInfo extends PodInfo {
  container: string;
  image: string | undefined;
  imageTries: number;
  rawImage: string;
}

/** How many relists try to resolve an image name (a sandbox or container caught half-created has none yet). */
const IMAGE_TRIES = 3;

export interface NameCacheOptions extends CriClientOptions {
  /** Full relist period. Default 10000 ms. */
  refreshIntervalMs?: number;
  /** Shortest time between two relists asked for by events or unknown ids. Default 250 ms. */
  minRefreshMs?: number;
  /** Longest retry back-off while the runtime is unreachable. Default 30000 ms. */
  maxBackoffMs?: number;
}

export interface NameCacheEvents {
  /** Names changed (new, resolved image, or dropped): labels of the collector's rows should be recomputed. */
  change: [];
  /** The runtime went away (once per outage) or something else degraded. */
  warning: [Error];
  /** The runtime answers again after an outage. */
  recovered: [];
  /** A relist succeeded. */
  refreshed: [];
}

/** An image reference that is an ID (what kubelet passes when it created the container by ID), not a name. */
function isImageId(image: string): boolean {
  return /^(sha256:)?[0-9a-f]{64}$/.test(image);
}

export class NameCache extends EventEmitter<NameCacheEvents> {
  readonly client: CriClient;
  private readonly sandboxes = new Map<string, SandboxInfo>();
  private readonly containers = new Map<string, ContainerInfo>();
  private readonly pods = new Map<string, PodInfo>();
  private readonly refreshIntervalMs: number;
  private readonly minRefreshMs: number;
  private readonly maxBackoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** A sooner next relist asked for during the running one (retryIn). */
  private retryMs: number | undefined;
  private lastRefresh = 0;
  private failures = 0;
  private stopped = false;
  private cancelEvents: (() => void) | undefined;
  private eventsSupported = true;
  /** How changes are learnt: 'stream' (GetContainerEvents is open), 'polling' (the runtime has no event stream),
   * 'unknown' (not connected yet). */
  eventMode: 'stream' | 'polling' | 'unknown' = 'unknown';
  /** The runtime's name from Version (containerd, cri-o, ...), once it answered. */
  runtimeName: string | undefined;
  /** Whether the last relist succeeded. */
  up = false;
  /** Failed CRI calls since start. */
  errors = 0;
  /** Successful relists since start. */
  refreshes = 0;
  /** The last failure, while the runtime is down. */
  lastError: Error | undefined;

  constructor(endpoint: string, options: NameCacheOptions = {}) {
    super();
    this.client = new CriClient(endpoint, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    this.refreshIntervalMs = options.refreshIntervalMs ?? 10000;
    this.minRefreshMs = options.minRefreshMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
  }

  /** Starts polling (the first relist now). */
  start(): this {
    this.schedule(0);
    return this;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, ms);
    this.timer.unref();
  }

  /** Asks for a relist soon (an unknown container id was seen, or an event came): at most one per minRefreshMs. */
  poke(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (!this.up && this.failures > 0) return; // backing off: the scheduled retry comes
    this.schedule(Math.max(0, this.lastRefresh + this.minRefreshMs - Date.now()));
  }

  /**
   * Asks for a relist after `ms` (sooner than the regular poll): a cgroup the runtime did not know at the last relist
   * (created before the runtime stored it). Ignored while backing off from an outage.
   */
  retryIn(ms: number): void {
    if (this.stopped || (!this.up && this.failures > 0)) return;
    const delay = Math.max(this.minRefreshMs, Math.min(ms, this.refreshIntervalMs));
    if (this.running !== undefined)
      this.retryMs = Math.min(this.retryMs ?? Infinity, delay); // when this relist ends
    else this.schedule(delay);
  }

  /** One relist now (concurrent calls share it). Resolves when done; never rejects. */
  refresh(): Promise<void> {
    this.running ??= this.relist().finally(() => {
      this.running = undefined;
      const retry = this.retryMs;
      this.retryMs = undefined;
      if (this.stopped) return;
      if (this.again && this.up) {
        this.again = false;
        this.poke();
      } else if (this.timer === undefined) {
        this.schedule(this.up ? (retry ?? this.refreshIntervalMs) : this.backoff());
      }
    });
    return this.running;
  }

  private backoff(): number {
    return Math.min(this.maxBackoffMs, 500 * 2 ** Math.min(this.failures - 1, 16));
  }

  private async relist(): Promise<void> {
    this.lastRefresh = Date.now();
    try {
      if (this.runtimeName === undefined || !this.up) this.runtimeName = (await this.client.version()).runtime_name;
      const [sandboxes, containers] = await Promise.all([this.client.listPodSandbox(), this.client.listContainers()]);
      if (this.stopped) return;
      const changed = await this.apply(sandboxes, containers);
      const wasDown = !this.up && this.failures > 0;
      this.up = true;
      this.failures = 0;
      this.lastError = undefined;
      this.refreshes++;
      if (wasDown) this.emit('recovered');
      if (changed) this.emit('change');
      this.emit('refreshed');
      if (this.cancelEvents === undefined && this.eventsSupported) this.follow();
    } catch (err) {
      if (this.stopped) return;
      this.errors++;
      this.failures++;
      this.lastError = err as Error;
      if (this.up || this.failures === 1) {
        this.emit(
          'warning',
          new Error(
            `container runtime unreachable (${(err as Error).message}); ` +
              'series carry only the cgroup id for new containers until it answers again (retrying with back-off)',
          ),
        );
      }
      this.up = false;
      this.cancelEvents?.();
      this.cancelEvents = undefined;
    }
  }

  /** Follows the runtime's event stream where it has one (each event asks for a relist). */
  private follow(): void {
    this.eventMode = 'stream';
    this.cancelEvents = this.client.events(
      () => this.poke(),
      (err) => {
        this.cancelEvents = undefined;
        if (this.stopped) return;
        if (err?.grpcCode === 'UNIMPLEMENTED') {
          this.eventsSupported = false; // polling only (containerd 1.6, older CRI-O)
          this.eventMode = 'polling';
          return;
        }
        this.eventMode = 'unknown';
        this.poke(); // the stream broke: a relist finds out whether the runtime is still there
      },
    );
  }

  /** Applies a relist: new entries added (images resolved), vanished ones dropped. True when anything changed. */
  private async apply(sandboxes: CriPodSandbox[], containers: CriContainer[]): Promise<boolean> {
    let changed = false;
    const seenS = new Set<string>();
    for (const s of sandboxes) {
      seenS.add(s.id);
      const known = this.sandboxes.get(s.id);
      if (known !== undefined) {
        if (known.image !== undefined || known.imageTries >= IMAGE_TRIES) continue;
        known.imageTries++;
        known.image = await this.sandboxImage(s.id);
        if (known.image !== undefined) changed = true;
        continue;
      }
      const labels = s.labels ?? {};
      const md = s.metadata;
      const info: SandboxInfo = {
        uid: md?.uid || labels[KUBE_LABELS.podUid] || '',
        name: md?.name || labels[KUBE_LABELS.podName] || '',
        namespace: md?.namespace || labels[KUBE_LABELS.podNamespace] || '',
        labels,
        image: undefined,
        imageTries: 1,
      };
      info.image = await this.sandboxImage(s.id);
      this.sandboxes.set(s.id, info);
      changed = true;
    }
    for (const id of [...this.sandboxes.keys()])
      if (!seenS.has(id)) {
        this.sandboxes.delete(id);
        changed = true;
      }
    const pods = new Map<string, PodInfo>();
    for (const s of this.sandboxes.values())
      if (s.uid !== '') pods.set(s.uid, { namespace: s.namespace, name: s.name });
    for (const [uid, p] of pods) {
      const old = this.pods.get(uid);
      if (old === undefined || old.name !== p.name || old.namespace !== p.namespace) changed = true;
    }
    if (this.pods.size !== pods.size) changed = true;
    this.pods.clear();
    for (const [uid, p] of pods) this.pods.set(uid, p);

    const seenC = new Set<string>();
    for (const c of containers) {
      seenC.add(c.id);
      const known = this.containers.get(c.id);
      if (known !== undefined) {
        if (known.image !== undefined || known.imageTries >= IMAGE_TRIES) continue;
        known.imageTries++;
        known.image = await this.containerImage(c.id);
        if (known.image !== undefined) changed = true;
        continue;
      }
      const labels = c.labels ?? {};
      const sb = this.sandboxes.get(c.pod_sandbox_id);
      const rawImage = c.image?.image ?? '';
      const info: ContainerInfo = {
        container: labels[KUBE_LABELS.containerName] ?? c.metadata?.name ?? '',
        name: labels[KUBE_LABELS.podName] ?? sb?.name ?? '',
        namespace: labels[KUBE_LABELS.podNamespace] ?? sb?.namespace ?? '',
        rawImage,
        image: isImageId(rawImage) || rawImage === '' ? undefined : rawImage,
        imageTries: 1,
      };
      if (info.image === undefined) info.image = await this.containerImage(c.id);
      this.containers.set(c.id, info);
      changed = true;
    }
    for (const id of [...this.containers.keys()])
      if (!seenC.has(id)) {
        this.containers.delete(id);
        changed = true;
      }
    return changed;
  }

  /** The image name of a container created by image ID: ContainerStatus resolves it (verbose info as a fallback). */
  private async containerImage(id: string): Promise<string | undefined> {
    try {
      const r = await this.client.containerStatus(id, true);
      const image = r.status?.image?.image ?? '';
      if (image !== '' && !isImageId(image)) return image;
      const fromInfo = imageFromInfo(r.info?.info, ['runtimeSpec', 'annotations', 'io.kubernetes.cri.image-name']);
      if (fromInfo !== undefined) return fromInfo;
      return image === '' ? undefined : image;
    } catch (err) {
      this.errors++;
      if ((err as { grpcCode?: string }).grpcCode === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** The sandbox (pause) image, from PodSandboxStatus's verbose info (containerd: info.image; CRI-O: none, so the
   * label stays "" after IMAGE_TRIES relists). */
  private async sandboxImage(id: string): Promise<string | undefined> {
    try {
      const r = await this.client.podSandboxStatus(id, true);
      return (
        imageFromInfo(r.info?.info, ['image']) ??
        imageFromInfo(r.info?.info, ['runtimeSpec', 'annotations', 'io.kubernetes.cri.image-name'])
      );
    } catch (err) {
      this.errors++;
      if ((err as { grpcCode?: string }).grpcCode === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** Whether the runtime labels the sandbox's container "POD" (CRI-O) rather than "" (containerd). */
  private sandboxContainerName(s: SandboxInfo, guess: CgroupIdentity['runtime']): string {
    const own = s.labels[KUBE_LABELS.containerName];
    if (own !== undefined) return own;
    const rt = this.runtimeName ?? guess;
    return rt === 'cri-o' ? 'POD' : '';
  }

  /** Kubelet's labels for a cgroup, or undefined when the runtime has not named it (yet). */
  labelsFor(identity: CgroupIdentity): Labels | undefined {
    if (identity.kind === 'pod') {
      const p = identity.podUid === undefined ? undefined : this.pods.get(identity.podUid);
      return p === undefined ? undefined : { container: '', image: '', name: '', namespace: p.namespace, pod: p.name };
    }
    if (identity.kind !== 'sandbox-or-container' && identity.kind !== 'container') return undefined;
    const id = identity.containerId!;
    const c = this.containers.get(id);
    if (c !== undefined)
      return { container: c.container, image: c.image ?? c.rawImage, name: id, namespace: c.namespace, pod: c.name };
    const s = this.sandboxes.get(id);
    if (s !== undefined) {
      return {
        container: this.sandboxContainerName(s, identity.runtime),
        image: s.image ?? '',
        name: id,
        namespace: s.namespace,
        pod: s.name,
      };
    }
    return undefined;
  }

  /** Whether some sandbox or container still waits for its image name (a later relist tries again). */
  unresolved(): boolean {
    for (const x of this.sandboxes.values()) if (x.image === undefined && x.imageTries < IMAGE_TRIES) return true;
    for (const x of this.containers.values()) if (x.image === undefined && x.imageTries < IMAGE_TRIES) return true;
    return false;
  }

  /** Whether a container-level cgroup's id is known (a sandbox or a container). */
  knows(containerId: string): boolean {
    return this.containers.has(containerId) || this.sandboxes.has(containerId);
  }

  get size(): { sandboxes: number; containers: number } {
    return { sandboxes: this.sandboxes.size, containers: this.containers.size };
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.cancelEvents?.();
    this.client.close();
  }
}

/** A string at a key path in a verbose-info JSON document, or undefined. */
function imageFromInfo(json: string | undefined, keys: string[]): string | undefined {
  if (json === undefined || json === '') return undefined;
  try {
    let v: unknown = JSON.parse(json);
    for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    return undefined;
  }
}
