/**
 * The environment probes of spec §1.2 the systemd manager uses, each injectable: whether systemd runs (a directory
 * test, as the library does) and whether it supports `AllowedCPUs` (asked over D-Bus of the systemd we talk to,
 * instead of CRI-O's `systemctl show -p AllowedCPUs systemd`, which asks the host's systemd even when the manager
 * talks to another one).
 */
import * as fs from 'node:fs';
import type { DBusError, SystemdBus } from './bus';

const NOT_SUPPORTED = new Set([
  'org.freedesktop.DBus.Error.UnknownProperty',
  'org.freedesktop.DBus.Error.InvalidArgs',
  'org.freedesktop.DBus.Error.UnknownInterface',
]);

/** A probe: a fixed answer, or a function (sync or async) asked once and cached. */
export type Probe = boolean | (() => boolean | Promise<boolean>);

/** spec §1.2: systemd runs iff `<runDir>/systemd/system` is a directory (lstat). `runDir` defaults to `/run`. */
export function systemdRunningAt(runDir = '/run'): boolean {
  try {
    return fs.lstatSync(`${runDir}/systemd/system`).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Whether systemd knows `AllowedCPUs` (systemd ≥ 244): reads the property of the root slice over D-Bus. An unknown
 * property (or interface) means no; any other failure (no bus, no systemd) rejects and is asked again next time.
 */
export async function systemdSupportsAllowedCPUs(bus: SystemdBus): Promise<boolean> {
  try {
    await bus.call({
      destination: 'org.freedesktop.systemd1',
      path: '/org/freedesktop/systemd1/unit/_2d_2eslice',
      interface: 'org.freedesktop.DBus.Properties',
      member: 'Get',
      signature: 'ss',
      body: ['org.freedesktop.systemd1.Slice', 'AllowedCPUs'],
    });
    return true;
  } catch (e) {
    if (NOT_SUPPORTED.has((e as DBusError).dbusName ?? '')) return false;
    throw e; // no answer (no bus, no systemd): not cached, the caller fails on its own call anyway
  }
}

/** A cached probe: `value` if given (a boolean or a function), else `fallback`; asked once, then remembered. */
export function cachedProbe(value: Probe | undefined, fallback: () => Promise<boolean>): () => Promise<boolean> {
  let cached: Promise<boolean> | undefined;
  return () => {
    if (typeof value === 'boolean') return Promise.resolve(value);
    cached ??= Promise.resolve()
      .then(() => (typeof value === 'function' ? value() : fallback()))
      .then((v) => v === true);
    // A failure is not remembered: the next call asks again.
    cached.catch(() => {
      cached = undefined;
    });
    return cached;
  };
}
