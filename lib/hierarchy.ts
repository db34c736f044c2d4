/**
 * Hierarchy discovery: where each controller is mounted. Reads the cgroup mounts of a mountinfo file (every v1
 * controller wherever it is, separate or co-mounted, cgroup2, hybrid), and tells cgroup v2 by the statfs magic of the
 * root as CRI-O does. For a recorded tree (a plain directory standing in for /sys/fs/cgroup) the layout is read from
 * the directory names instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CgroupError } from './errors';
import { native } from './native';

export interface Hierarchy {
  /** Index of the hierarchy in its layout (and in the engine). */
  index: number;
  version: 1 | 2;
  /** Absolute path of the hierarchy's root directory. */
  path: string;
  /** v1: the controllers mounted there (`cpu`, `cpuacct`, `name=systemd`, ...); v2: the root's cgroup.controllers. */
  controllers: string[];
  /** The cgroup mounted there (mountinfo's root field): `/` on a host, the container's own cgroup inside a cgroup
   * namespace that was not unshared. `/` for a recorded tree. */
  mountRoot: string;
}

export interface Layout {
  root: string;
  /** 2 only when the root itself is cgroup2 (unified mode); hybrid hosts are 1, as in CRI-O. */
  version: 1 | 2;
  /** v1 with cgroup2 also mounted (at root/unified). */
  hybrid: boolean;
  hierarchies: Hierarchy[];
  /** v1 controller name -> hierarchy. */
  controllers: Map<string, Hierarchy>;
  /** The cgroup2 hierarchy, if any. */
  unified: Hierarchy | undefined;
}

export interface DiscoverOptions {
  /** The cgroup root, `/sys/fs/cgroup` by default. */
  root?: string;
  /** The mountinfo file, `/proc/self/mountinfo` by default. */
  mountinfo?: string;
  /** Force the version instead of detecting it (a recorded tree is not on cgroupfs). */
  version?: 1 | 2;
}

export const DEFAULT_ROOT = '/sys/fs/cgroup';

/** CRI-O's test: statfs(root) is CGROUP2_SUPER_MAGIC; a statfs error counts as v1. */
export function isCgroup2(root: string = DEFAULT_ROOT): boolean {
  try {
    return native.statfsType(root) === native.CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

function readControllers(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function isUnder(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
}

/**
 * The cgroup hierarchies of a mountinfo text that are mounted at or below root, in mountinfo order (a mount point
 * mounted twice counts once). v2 controllers are read from the mounted cgroup.controllers when it can be read.
 */
export function hierarchiesFromMountinfo(text: string, root: string): Array<Omit<Hierarchy, 'index'>> {
  const seen = new Set<string>();
  const out: Array<Omit<Hierarchy, 'index'>> = [];
  for (const m of native.parseMountinfo(text)) {
    if (!isUnder(m.mountPoint, root) || seen.has(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    out.push({
      version: m.version,
      path: m.mountPoint,
      controllers: m.version === 2 ? readControllers(m.mountPoint) : m.controllers,
      mountRoot: m.root,
    });
  }
  return out;
}

function fromMounts(root: string, mountinfo: string): Array<Omit<Hierarchy, 'index'>> {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  return hierarchiesFromMountinfo(text, root);
}

// A recorded tree: root/<controllers> directories (v1; "systemd" is name=systemd, "unified" is cgroup2), or a v2 root.
function fromDirectories(root: string, version: 1 | 2 | undefined): Array<Omit<Hierarchy, 'index'>> {
  if (version === 2 || (version === undefined && existsSync(join(root, 'cgroup.controllers')))) {
    return [{ version: 2, path: root, controllers: readControllers(root), mountRoot: '/' }];
  }
  const out: Array<Omit<Hierarchy, 'index'>> = [];
  // By code point: localeCompare would load ICU's collator, ~10 ms of a CLI's start (the same order for cgroup names).
  for (const ent of readdirSync(root, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (!ent.isDirectory()) continue; // co-mount aliases are symlinks (cpu -> cpu,cpuacct): one hierarchy each
    const dir = join(root, ent.name);
    if (ent.name === 'unified') {
      out.push({ version: 2, path: dir, controllers: readControllers(dir), mountRoot: '/' });
    } else {
      out.push({
        version: 1,
        path: dir,
        controllers: ent.name.split(',').map((c) => (c === 'systemd' ? 'name=systemd' : c)),
        mountRoot: '/',
      });
    }
  }
  return out;
}

export function discoverHierarchies(options: DiscoverOptions = {}): Layout {
  const root = resolve(options.root ?? DEFAULT_ROOT);
  const mountinfo = options.mountinfo ?? '/proc/self/mountinfo';
  let found = fromMounts(root, mountinfo);
  if (found.length === 0) found = fromDirectories(root, options.version);
  if (found.length === 0) {
    throw new CgroupError(`no cgroup hierarchy found at ${root} (neither in ${mountinfo} nor as directories)`, {
      code: 'ERR_CGROUP_NO_HIERARCHY',
      path: root,
    });
  }
  const rootIsV2 = found.some((h) => h.version === 2 && h.path === root);
  const version: 1 | 2 = options.version ?? (rootIsV2 || isCgroup2(root) ? 2 : 1);
  const hierarchies = found.map((h, index) => ({ ...h, index }));
  const controllers = new Map<string, Hierarchy>();
  let unified: Hierarchy | undefined;
  for (const h of hierarchies) {
    if (h.version === 2) unified ??= h;
    else for (const c of h.controllers) if (!controllers.has(c)) controllers.set(c, h);
  }
  return { root, version, hybrid: version === 1 && unified !== undefined, hierarchies, controllers, unified };
}
