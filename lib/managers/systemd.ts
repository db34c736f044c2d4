/**
 * SystemdManager (spec §2.4): the paths, the sandbox checks, the handles (systemd-driver rules: `<expanded
 * slice>/crio-<id>.scope`), the stats, the dropped-infra cgroup as a plain directory inside the expanded pod slice, and
 * conmon's transient scope over D-Bus (spec §2.6, §4.1; fixes B-4, Q-16) through ../systemd.
 */
import { newCgroup, type Cgroup, type CgroupResources } from '../cgroup';
import { CgroupError, invalidArg } from '../errors';
import { base, dir, expandSlice, join } from '../paths';
import { pid as checkPid } from '../validate';
import { ManagerBase } from './base';
import { crunContainerCgroupManager, execCgroupManagerFor, execPreconditions } from './common';
import { verifyCgroupHasEnoughMemory } from './memory-check';
import type { Steps } from '../steps';
import * as sandbox from './sandbox';
import { checkId, checkParent, type CgroupManager, type CgroupManagerOptions, type SandboxCgroupPath } from './types';
import { SystemdBus, checkBusOptions, sharedBus, type BusOptions } from '../systemd/bus';
import { conmonScopeProperties } from '../systemd/properties';
import { cachedProbe, systemdSupportsAllowedCPUs, type Probe } from '../systemd/probes';
import { DEFAULT_JOB_TIMEOUT_MS, runUnderSystemdScope } from '../systemd/scope';

/** Options of the systemd manager: those of every manager, plus the D-Bus side. */
export interface SystemdManagerOptions extends CgroupManagerOptions {
  /**
   * The D-Bus connection: a `SystemdBus`, or options for the process-wide one of that address (default: the system
   * bus; the user bus when not running as root). Opened at the first D-Bus call.
   */
  bus?: BusOptions | SystemdBus;
  /** How long moveConmonToCgroup waits for systemd's job, in ms (default 6 minutes, as CRI-O). */
  jobTimeoutMs?: number;
  /** Whether systemd supports AllowedCPUs (spec §1.2); default: asked over D-Bus once. */
  allowedCPUs?: Probe;
}

/** An error of moveConmonToCgroup: `cgroupPathToClean` is always "" (systemd removes the scope itself). */
export interface SystemdConmonError extends CgroupError {
  cgroupPathToClean: string;
}

export const SYSTEMD = 'systemd';
/** The systemd default parent. */
export const DEFAULT_SYSTEMD_PARENT = 'system.slice';

function wrap(prefix: string, e: unknown): CgroupError {
  const inner = e as CgroupError;
  return new CgroupError(`${prefix}: ${inner.message}`, { code: inner.code ?? 'ERR_CGROUP_INVALID_SLICE', cause: e });
}

/** LibctrManager's systemd parent rule (spec §2.10): Base(parent), "." → "-.slice" ("/" stays "/"). */
function systemdParent(parent: string): string {
  const b = base(parent);
  return b === '.' ? '-.slice' : b;
}

export class SystemdManager extends ManagerBase implements CgroupManager {
  /** Deadline of the conmon job wait (ms). */
  readonly jobTimeoutMs: number;
  private readonly busOption: BusOptions | SystemdBus;
  private busCache: SystemdBus | undefined;
  private readonly allowedCPUs: () => Promise<boolean>;

  constructor(options: SystemdManagerOptions = {}) {
    super(options);
    const t = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0)
      throw invalidArg('jobTimeoutMs', t, 'must be a positive integer');
    this.jobTimeoutMs = t;
    const b = options.bus ?? {};
    // Checked now, connected at the first D-Bus call.
    this.busOption = b instanceof SystemdBus ? b : checkBusOptions(b);
    const a = options.allowedCPUs;
    if (a !== undefined && typeof a !== 'boolean' && typeof a !== 'function')
      throw invalidArg('allowedCPUs', a, 'must be a boolean or a function');
    this.allowedCPUs = cachedProbe(a, () => systemdSupportsAllowedCPUs(this.bus));
  }

  /** The D-Bus connection this manager uses (shared by managers with the same bus options; connects lazily). */
  get bus(): SystemdBus {
    if (!this.busCache) {
      const b = this.busOption;
      if (b instanceof SystemdBus) this.busCache = b;
      else this.busCache = sharedBus({ ...b, user: b.user ?? (b.address === undefined && process.getuid?.() !== 0) });
    }
    return this.busCache;
  }

  name(): string {
    return SYSTEMD;
  }

  isSystemd(): boolean {
    return true;
  }

  /** `<sbParent || system.slice>:crio:<id>`. */
  containerCgroupPath(sbParent: string, containerId: string): string {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    return `${sbParent === '' ? DEFAULT_SYSTEMD_PARENT : sbParent}:crio:${containerId}`;
  }

  /** `Join(ExpandSlice(sbParent || system.slice), "crio-<id>.scope")`. */
  containerCgroupAbsolutePath(sbParent: string, containerId: string): string {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    let e: string;
    try {
      e = expandSlice(sbParent === '' ? DEFAULT_SYSTEMD_PARENT : sbParent);
    } catch (err) {
      throw wrap(`expanding systemd slice to get container ${containerId} stats`, err);
    }
    return join(e, `crio-${containerId}.scope`);
  }

  containerCgroupManager(sbParent: string, containerId: string): Cgroup {
    const hit = this.containerByArg(sbParent, containerId);
    if (hit) return hit;
    const p = this.containerCgroupAbsolutePath(sbParent, containerId);
    return this.cachedContainer(
      containerId,
      p,
      () => newCgroup({ name: containerId, parent: systemdParent(dir(p)), systemd: true }, this.context),
      sbParent,
    );
  }

  /** @internal */
  protected *sandboxCgroupPathSteps(
    sbParent: string,
    sbId: string,
    containerMinMemory: number | bigint,
  ): Steps<SandboxCgroupPath> {
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    if (sbParent === '') return { cgParent: '', cgPath: '' };
    if (!base(sbParent).endsWith('.slice')) {
      throw new CgroupError(
        `cri-o configured with systemd cgroup manager, but did not receive slice as parent: ${sbParent}`,
        {
          code: 'ERR_CGROUP_WRONG_DRIVER',
        },
      );
    }
    const cgParent = base(sbParent);
    yield* verifyCgroupHasEnoughMemory(sbParent, this.context, this.memoryMaxFile, containerMinMemory);
    return { cgParent, cgPath: `${cgParent}:crio:${sbId}` };
  }

  /** The pod slice itself (spec §2.4; Q-9: a top-level slice fails with `invalid slice name: /`). */
  sandboxCgroupManager(sbParent: string, sbId: string): Cgroup {
    const hit = this.sandboxByArg(sbParent, sbId);
    if (hit) return hit;
    checkParent(sbParent, 'sbParent');
    checkId(sbId, 'sbId');
    const name = base(sbParent);
    let s: string;
    try {
      s = expandSlice(name);
    } catch (err) {
      throw wrap(`expanding systemd slice path for ${JSON.stringify(name)}`, err);
    }
    // The library expands the parent again: a top-level pod slice gives "/" → `invalid slice name: /`.
    const parent = systemdParent(dir(s));
    return this.cachedSandbox(
      sbId,
      s,
      () => newCgroup({ name: base(s), parent, systemd: true }, this.context),
      sbParent,
    );
  }

  /**
   * Places conmon (`pid`, as systemd sees it) in the transient scope `crio-conmon-<cid>.scope` (spec §2.6): in
   * `conmonCgroup` when it is a slice, else in the pod's slice `cgroupParent` ("" = systemd's default). CPU resources
   * become AllowedCPUs (when systemd supports it), CPUShares, CPUQuotaPerSecUSec and CPUQuotaPeriodUSec (B-4). Waits
   * for the job (`jobTimeoutMs`); `UnitExists` → ResetFailedUnit and one retry. Resolves to "" (systemd
   * removes the scope when conmon exits). Errors: `failed to add conmon to systemd sandbox cgroup: …` (with
   * `cgroupPathToClean: ""`), or `cpuset conversion error: …` before any D-Bus traffic. pid -1 ("none") is refused:
   * systemd cannot make an empty scope (CRI-O sends 4294967295 and gets an error back).
   */
  async moveConmonToCgroup(
    cid: string,
    cgroupParent: string,
    conmonCgroup: string,
    pid: number,
    resources?: CgroupResources | null,
  ): Promise<string> {
    checkId(cid, 'cid');
    checkParent(cgroupParent, 'cgroupParent');
    checkParent(conmonCgroup, 'conmonCgroup');
    if (pid === -1) throw invalidArg('pid', pid, 'must be a process: a systemd scope cannot be created without one');
    checkPid(pid, 'pid');
    if (resources !== undefined && resources !== null && typeof resources !== 'object') {
      throw invalidArg('resources', resources, 'must be an object');
    }
    const slice = conmonCgroup.endsWith('.slice') ? conmonCgroup : cgroupParent;
    const unit = `crio-conmon-${cid}.scope`;
    const logger = this.context.logger;
    const properties = await conmonScopeProperties({
      pid,
      slice,
      resources,
      allowedCPUs: this.allowedCPUs,
      logError: logger.warn?.bind(logger),
    });
    logger.debug?.(`Running conmon under slice ${slice} and unitName ${unit}`);
    try {
      await runUnderSystemdScope(this.bus, { unit, pid, properties, jobTimeoutMs: this.jobTimeoutMs });
    } catch (e) {
      const inner = e as CgroupError;
      const err = new CgroupError(`failed to add conmon to systemd sandbox cgroup: ${inner.message}`, {
        code: inner.code ?? 'ERR_CGROUP_SYSTEMD',
        cause: e,
      }) as SystemdConmonError;
      err.cgroupPathToClean = '';
      throw err;
    }
    return '';
  }

  // "" → nothing (logged); else the expanded slice (ExpandSlice errors unwrapped, Q-21).
  private sandboxArgs(sbParent: string, containerId: string): [string, string] | undefined {
    checkParent(sbParent, 'sbParent');
    checkId(containerId, 'containerId');
    if (sbParent === '') {
      this.context.logger.info?.('Not creating sandbox cgroup: sbParent is empty');
      return undefined;
    }
    return [expandSlice(sbParent), `crio-${containerId}`];
  }

  createSandboxCgroupSync(sbParent: string, containerId: string): void {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) sandbox.createSandboxCgroupSync(a[0], a[1], this.context);
  }

  async createSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) await sandbox.createSandboxCgroup(a[0], a[1], this.context);
  }

  removeSandboxCgroupSync(sbParent: string, containerId: string): void {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) sandbox.removeSandboxCgroupSync(a[0], a[1], this.context);
  }

  async removeSandboxCgroup(sbParent: string, containerId: string): Promise<void> {
    const a = this.sandboxArgs(sbParent, containerId);
    if (a) await sandbox.removeSandboxCgroup(a[0], a[1], this.context);
  }

  podAndContainerCgroupManagers(sbParent: string, containerId: string): { pod: Cgroup; containers: Cgroup[] } {
    const c = this.containerCgroupAbsolutePath(sbParent, containerId);
    const pod = dir(c);
    const podParent = systemdParent(dir(pod));
    const podCg = newCgroup({ name: base(pod), parent: podParent, systemd: true }, this.context);
    const containers = [newCgroup({ name: containerId, parent: systemdParent(dir(c)), systemd: true }, this.context)];
    const crun = crunContainerCgroupManager(c, this.context);
    if (crun) containers.push(crun);
    return { pod: podCg, containers };
  }

  /** `<slice>:<prefix>:<id>` → the handle of `<expanded slice>/<prefix>-<id>.scope[/container]/exec` (v2 only). */
  execCgroupManager(cgroupPath: string): Cgroup {
    if (typeof cgroupPath !== 'string') checkParent(cgroupPath, 'cgroupPath');
    execPreconditions(cgroupPath, this.context);
    const parts = cgroupPath.split(':');
    if (parts.length !== 3) {
      throw new CgroupError(`invalid systemd cgroup path format: ${cgroupPath} (expected slice:prefix:containerID)`, {
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
    checkId(parts[1], 'cgroupPath prefix');
    checkId(parts[2], 'cgroupPath containerID');
    let e: string;
    try {
      e = expandSlice(parts[0]!);
    } catch (err) {
      throw wrap(`failed to expand systemd slice ${JSON.stringify(parts[0])}`, err);
    }
    return execCgroupManagerFor(join(e, `${parts[1]}-${parts[2]}.scope`), this.context);
  }
}
