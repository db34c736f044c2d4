/** The D-Bus side of the systemd manager: the bus, job waits, conmon scope properties, probes. */
export {
  SystemdBus,
  sharedBus,
  resolveBusAddress,
  checkBusOptions,
  isConnectionClosed,
  DEFAULT_CALL_TIMEOUT_MS,
} from './bus';
export type { BusOptions, CallMessage, SignalMessage, DBusError } from './bus';
export { JobTracker, jobTrackerFor } from './jobs';
export type { JobResult } from './jobs';
export { rangeToBits, cpuQuotaProperties, conmonScopeProperties, CONMON_KILL_SIGNAL } from './properties';
export type { UnitProperty, ConmonScopeOptions } from './properties';
export { systemdRunningAt, systemdSupportsAllowedCPUs, cachedProbe } from './probes';
export type { Probe } from './probes';
export {
  runUnderSystemdScope,
  unitActiveState,
  unitState,
  unitHoldsPid,
  callManager,
  DEFAULT_JOB_TIMEOUT_MS,
} from './scope';
export type { ScopeRequest, ScopeError } from './scope';
