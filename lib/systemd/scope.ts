/**
 * RunUnderSystemdScope (spec §4.1 with DECISIONS Q-16): `StartTransientUnit(<unit>, "replace", properties, [])`, then
 * wait for the job's `JobRemoved`. `UnitExists` → success when that unit already holds the pid (an earlier call of
 * ours reached systemd and lost its reply), else `ResetFailedUnit` and one retry. A result other than `done`, or no
 * result by the deadline, is an error naming the unit and the pid.
 */
import { CgroupError } from '../errors';
import { isConnectionClosed, type DBusError, type SystemdBus } from './bus';
import { jobTrackerFor } from './jobs';
import type { UnitProperty } from './properties';

/** CRI-O's wait for the job (6 minutes). */
export const DEFAULT_JOB_TIMEOUT_MS = 6 * 60 * 1000;

const SYSTEMD = 'org.freedesktop.systemd1';
const SYSTEMD_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT_EXISTS = 'org.freedesktop.systemd1.UnitExists';

/** A systemd job that ended other than `done` (`result`), or an error of the wait. */
export interface ScopeError extends CgroupError {
  unit: string;
  pid: number;
  result?: string;
  dbusName?: string;
}

function scopeError(
  message: string,
  code: string,
  unit: string,
  pid: number,
  extra: { result?: string; dbusName?: string; cause?: unknown } = {},
): ScopeError {
  const e = new CgroupError(message, { code, cause: extra.cause }) as ScopeError;
  e.unit = unit;
  e.pid = pid;
  if (extra.result !== undefined) e.result = extra.result;
  if (extra.dbusName !== undefined) e.dbusName = extra.dbusName;
  return e;
}

/** Calls a method of systemd's Manager object. */
export function callManager(bus: SystemdBus, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
  return bus.call({ destination: SYSTEMD, path: SYSTEMD_PATH, interface: MANAGER, member, signature, body });
}

/** `ActiveState` ('active', 'failed', …) and pending job id (0: none) of a unit; undefined when it is not loaded. */
export async function unitState(
  bus: SystemdBus,
  unit: string,
): Promise<{ activeState: string; job: number } | undefined> {
  let path: string;
  try {
    [path] = (await callManager(bus, 'GetUnit', 's', [unit])) as [string];
  } catch (e) {
    if ((e as DBusError).dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return undefined;
    throw e;
  }
  const [all] = (await bus.call({
    destination: SYSTEMD,
    path,
    interface: 'org.freedesktop.DBus.Properties',
    member: 'GetAll',
    signature: 's',
    body: ['org.freedesktop.systemd1.Unit'],
  })) as [Array<[string, [unknown, [unknown]]]>];
  const get = (name: string) => all.find(([n]) => n === name)?.[1][1][0];
  const job = get('Job') as [number, string] | undefined;
  return { activeState: String(get('ActiveState')), job: job ? Number(job[0]) : 0 };
}

/** `ActiveState` of a loaded unit, or undefined when systemd does not know it. */
export async function unitActiveState(bus: SystemdBus, unit: string): Promise<string | undefined> {
  return (await unitState(bus, unit))?.activeState;
}

export interface ScopeRequest {
  unit: string;
  pid: number;
  properties: UnitProperty[];
  /** Deadline of the job wait in ms. */
  jobTimeoutMs: number;
}

async function start(bus: SystemdBus, r: ScopeRequest): Promise<string> {
  const [job] = (await callManager(bus, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [
    r.unit,
    'replace',
    r.properties,
    [],
  ])) as [string];
  return job;
}

function startFailed(r: ScopeRequest, e: unknown): ScopeError {
  const d = e as DBusError;
  return scopeError(
    `start transient unit ${JSON.stringify(r.unit)}: ${d.message}`,
    d.code ?? 'ERR_DBUS_CALL',
    r.unit,
    r.pid,
    { dbusName: d.dbusName, cause: e },
  );
}

/**
 * Whether the unit is loaded, not failed, and holds the pid (`GetUnitProcesses`): then an earlier StartTransientUnit
 * of ours reached systemd although its reply was lost (a dbus-daemon that died mid-call, the call retried on a new
 * connection), and the scope is already what was asked for.
 */
export async function unitHoldsPid(bus: SystemdBus, unit: string, pid: number): Promise<boolean> {
  try {
    const st = await unitState(bus, unit);
    if (st === undefined || st.activeState === 'failed' || st.activeState === 'inactive') return false;
    const [procs] = (await callManager(bus, 'GetUnitProcesses', 's', [unit])) as [Array<[string, number, string]>];
    return procs.some(([, p]) => Number(p) === pid);
  } catch {
    return false; // cannot tell: the caller reports the UnitExists it met
  }
}

/** Starts the transient unit and resolves when its job is `done`. */
export async function runUnderSystemdScope(bus: SystemdBus, r: ScopeRequest): Promise<void> {
  const jobs = jobTrackerFor(bus); // before the first call: no JobRemoved may be missed
  let job: string;
  try {
    job = await start(bus, r);
  } catch (e) {
    if ((e as DBusError).dbusName !== UNIT_EXISTS) throw startFailed(r, e);
    // The unit exists with our pid in it: a retried call whose first attempt was done by systemd. Nothing to do.
    if (await unitHoldsPid(bus, r.unit, r.pid)) return;
    // a failed unit of that name is still loaded. Reset it and try once more (as libcontainer does).
    try {
      await callManager(bus, 'ResetFailedUnit', 's', [r.unit]);
    } catch {
      // not failed (still active) or gone: the retry reports what is wrong
    }
    try {
      job = await start(bus, r);
    } catch (e2) {
      if ((e2 as DBusError).dbusName === UNIT_EXISTS && (await unitHoldsPid(bus, r.unit, r.pid))) return;
      throw startFailed(r, e2);
    }
  }
  let result: string;
  const started = Date.now();
  try {
    ({ result } = await jobs.wait(job, r.jobTimeoutMs, () =>
      scopeError(
        `timed out moving conmon with pid ${r.pid} to systemd unit ${r.unit}`,
        'ERR_CGROUP_SYSTEMD_TIMEOUT',
        r.unit,
        r.pid,
      ),
    ));
  } catch (e) {
    if (!isConnectionClosed(e)) throw e;
    // The connection (and the job's signal with it) went away. A new connection does not get that job's signal, so
    // ask the unit until its job is gone (or the deadline passes): then it is active, or it is not.
    const deadline = started + r.jobTimeoutMs;
    let st = await unitState(bus, r.unit);
    while (st !== undefined && st.job !== 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
      st = await unitState(bus, r.unit);
    }
    if (st?.activeState === 'active' && st.job === 0) return;
    if (st !== undefined && st.job !== 0) {
      throw scopeError(
        `timed out moving conmon with pid ${r.pid} to systemd unit ${r.unit}`,
        'ERR_CGROUP_SYSTEMD_TIMEOUT',
        r.unit,
        r.pid,
        { cause: e },
      );
    }
    throw scopeError(
      `error moving conmon with pid ${r.pid} to systemd unit ${r.unit}: the D-Bus connection closed during the job and the unit is ${st?.activeState ?? 'not loaded'}`,
      'ERR_CGROUP_SYSTEMD_JOB',
      r.unit,
      r.pid,
      { cause: e },
    );
  }
  if (result !== 'done') {
    throw scopeError(
      `error moving conmon with pid ${r.pid} to systemd unit ${r.unit}: got ${result}`,
      'ERR_CGROUP_SYSTEMD_JOB',
      r.unit,
      r.pid,
      { result },
    );
  }
}
