/**
 * What a cgroup path alone says about a Kubernetes (or podman/docker) workload: `parseCgroupIdentity(path)`.
 *
 * Layouts understood, below a `kubepods` (cgroupfs driver) or `kubepods.slice` / `<prefix>-kubepods.slice` (systemd
 * driver) component at any depth (kubelet's --cgroup-root, a test's own parent):
 *   cgroupfs: kubepods[/burstable|/besteffort]/pod<uid>/<id>          containerd: bare 64-hex id; CRI-O: crio-<id>
 *   systemd:  kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid with _ for ->.slice/<runtime>-<id>.scope
 *             runtime prefixes: crio- (CRI-O), cri-containerd- (containerd), docker- (dockershim / cri-dockerd)
 *   conmon:   crio-conmon-<id>[.scope], libpod-conmon-<id>[.scope] (the monitor process, not the container)
 * and anywhere: podman's libpod-<id>[.scope], docker-<id>.scope, crio-<id>.scope, and /docker/<64-hex>.
 *
 * The path cannot tell a pod's sandbox (pause) from its other containers: both are `sandbox-or-container` (the
 * runtime's ListContainers / ListPodSandbox decides). Anything malformed (a pod UID or container id of the wrong shape,
 * odd characters) is `other`: never a guessed label.
 */
import { invalidArg } from './errors';

export type CgroupKind =
  /** A pod-level cgroup (`pod<uid>`, `kubepods-…-pod<uid>.slice`). */
  | 'pod'
  /** A container-level cgroup in a pod: the sandbox (pause) or a container; the runtime tells which. */
  | 'sandbox-or-container'
  /** A container outside any pod (podman's libpod-, docker-, crio- scopes). */
  | 'container'
  /** A runtime monitor's cgroup (crio-conmon-, libpod-conmon-): not a container. */
  | 'conmon'
  /** Anything else (QoS levels, kubepods itself, system cgroups, malformed names). */
  | 'other';

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';
export type RuntimeGuess = 'containerd' | 'cri-o' | 'docker' | 'podman';

export interface CgroupIdentity {
  kind: CgroupKind;
  /** The path as given, normalized to a leading '/' and no trailing '/'. */
  path: string;
  /** The pod's UID with its dashes (restored from the systemd form's underscores). Set for pods and their containers. */
  podUid?: string;
  /** The pod-level cgroup's path (for a pod and the cgroups of its containers). */
  podPath?: string;
  /** The runtime's container id (64 hex). */
  containerId?: string;
  /** QoS class from the path (a pod directly under kubepods is Guaranteed). */
  qos?: QosClass;
  /** Which runtime the name suggests: a guess (a bare 64-hex id under a pod is containerd, or docker through
   * cri-dockerd with the cgroupfs driver; the CRI runtime's Version says which). */
  runtime?: RuntimeGuess;
  /** The cgroup driver the names follow. */
  driver?: 'cgroupfs' | 'systemd';
}

const HEX64 = /^[0-9a-f]{64}$/;
/** Pod UIDs: RFC 4122 UUIDs from the API server, 32 hex for static pods (a hash); dashes only between hex runs. */
const POD_UID = /^[0-9a-f]{8,64}$|^[0-9a-f]+(?:-[0-9a-f]+){1,7}$/;
const QOS = new Set<string>(['burstable', 'besteffort']);

/** Prefixes of container scopes and directories, longest first (crio-conmon- before crio-). */
const PREFIXES: ReadonlyArray<{ prefix: string; kind: 'container' | 'conmon'; runtime: RuntimeGuess }> = [
  { prefix: 'crio-conmon-', kind: 'conmon', runtime: 'cri-o' },
  { prefix: 'libpod-conmon-', kind: 'conmon', runtime: 'podman' },
  { prefix: 'cri-containerd-', kind: 'container', runtime: 'containerd' },
  { prefix: 'crio-', kind: 'container', runtime: 'cri-o' },
  { prefix: 'docker-', kind: 'container', runtime: 'docker' },
  { prefix: 'libpod-', kind: 'container', runtime: 'podman' },
];

interface ContainerName {
  kind: 'container' | 'conmon';
  id: string;
  runtime?: RuntimeGuess;
  driver?: 'cgroupfs' | 'systemd';
}

/** A container-level component: `<prefix><64 hex>[.scope]` or a bare 64-hex id. */
function containerName(c: string): ContainerName | undefined {
  if (HEX64.test(c)) return { kind: 'container', id: c };
  const scope = c.endsWith('.scope');
  const stem = scope ? c.slice(0, -'.scope'.length) : c;
  for (const p of PREFIXES) {
    if (!stem.startsWith(p.prefix)) continue;
    const id = stem.slice(p.prefix.length);
    if (!HEX64.test(id)) return undefined;
    return { kind: p.kind, id, runtime: p.runtime, driver: scope ? 'systemd' : 'cgroupfs' };
  }
  return undefined;
}

function isKubepods(c: string): boolean {
  return c === 'kubepods' || c === 'kubepods.slice' || c.endsWith('-kubepods.slice');
}

/** The systemd slice name of kubepods without `.slice` (kubepods, or <prefix>-kubepods). */
function sliceStem(c: string): string {
  return c.endsWith('.slice') ? c.slice(0, -'.slice'.length) : c;
}

interface PodName {
  uid: string;
  qos?: QosClass;
}

/** A pod-level component, given the QoS level (if any) above it. */
function podName(c: string, systemd: boolean, stem: string, qos: QosClass | undefined): PodName | undefined {
  if (!systemd) {
    if (!c.startsWith('pod')) return undefined;
    const uid = c.slice(3);
    return POD_UID.test(uid) ? { uid } : undefined;
  }
  // kubepods-burstable-pod<uid>.slice under kubepods-burstable.slice; kubepods-pod<uid>.slice directly (Guaranteed).
  const parent = qos === undefined || qos === 'guaranteed' ? stem : `${stem}-${qos}`;
  const prefix = `${parent}-pod`;
  if (!c.startsWith(prefix) || !c.endsWith('.slice')) return undefined;
  const raw = c.slice(prefix.length, -'.slice'.length);
  // systemd escapes '-' in unit names; kubelet writes the UID with '_' in its place.
  if (raw.includes('-')) return undefined;
  const uid = raw.replace(/_/g, '-');
  return POD_UID.test(uid) ? { uid } : undefined;
}

/**
 * The identity of a cgroup from its path (relative to the cgroup root, or any path ending in the cgroup's path):
 * kind, pod UID, container id, QoS class, runtime and driver as the names say. Never throws for a string; an error
 * (CgroupError ERR_INVALID_ARG_VALUE) for anything else.
 */
export function parseCgroupIdentity(p: string): CgroupIdentity {
  if (typeof p !== 'string') throw invalidArg('path', p, 'must be a string');
  const parts = p.split('/').filter((c) => c.length > 0 && c !== '.');
  const path = `/${parts.join('/')}`;
  const other: CgroupIdentity = { kind: 'other', path };
  if (parts.length === 0 || parts.includes('..')) return other;
  const k = parts.findIndex(isKubepods);
  if (k < 0) {
    // Outside Kubernetes: podman, docker or CRI-O scopes, or docker's cgroupfs /docker/<id>.
    const last = parts[parts.length - 1]!;
    const cn = containerName(last);
    if (cn === undefined) return other;
    if (cn.runtime === undefined) {
      if (parts.length < 2 || parts[parts.length - 2] !== 'docker') return other;
      return { kind: 'container', path, containerId: cn.id, runtime: 'docker', driver: 'cgroupfs' };
    }
    const id: CgroupIdentity = { kind: cn.kind, path, containerId: cn.id, runtime: cn.runtime };
    if (cn.driver !== undefined) id.driver = cn.driver;
    return id;
  }
  const top = parts[k]!;
  const systemd = top.endsWith('.slice');
  const stem = sliceStem(top);
  let i = k + 1;
  let qos: QosClass | undefined;
  const next = parts[i];
  if (next !== undefined) {
    if (!systemd && QOS.has(next)) {
      qos = next as QosClass;
      i++;
    } else if (
      systemd &&
      next.startsWith(`${stem}-`) &&
      next.endsWith('.slice') &&
      QOS.has(next.slice(stem.length + 1, -'.slice'.length))
    ) {
      qos = next.slice(stem.length + 1, -'.slice'.length) as QosClass;
      i++;
    }
  }
  const driver = systemd ? 'systemd' : 'cgroupfs';
  if (i >= parts.length) return { ...other, driver, ...(qos ? { qos } : {}) };
  const pod = podName(parts[i]!, systemd, stem, qos);
  if (pod === undefined) return other;
  const podQos: QosClass = qos ?? 'guaranteed';
  const podPath = `/${parts.slice(0, i + 1).join('/')}`;
  if (i === parts.length - 1) return { kind: 'pod', path, podUid: pod.uid, podPath, qos: podQos, driver };
  if (i + 1 !== parts.length - 1) return other; // below a container: not the container's own cgroup
  const cn = containerName(parts[i + 1]!);
  if (cn === undefined) return other;
  // A cgroupfs-named component under a systemd pod slice (or the reverse) is not what either driver makes.
  if ((cn.driver ?? 'cgroupfs') !== driver) return other;
  const id: CgroupIdentity = {
    kind: cn.kind === 'conmon' ? 'conmon' : 'sandbox-or-container',
    path,
    podUid: pod.uid,
    podPath,
    containerId: cn.id,
    qos: podQos,
    driver,
  };
  // A bare id: containerd (CRI-O's cgroupfs names are crio-<id>); cri-dockerd names them so too, but is rarer.
  id.runtime = cn.runtime ?? 'containerd';
  return id;
}
