/**
 * systemd job bookkeeping: the `JobRemoved(u id, o job, s unit, s result)` signals of a bus, correlated by job path.
 * Every finished job is recorded as its signal arrives, before anyone waits for it: systemd can send `JobRemoved`
 * before the `StartTransientUnit` reply has been handled (both arrive in one socket read and are dispatched in one
 * go), so a waiter registered after the reply would otherwise miss it.
 */
import { CgroupError } from '../errors';
import type { SignalMessage, SystemdBus } from './bus';

/** How many finished-but-unclaimed jobs are remembered (oldest dropped first). */
const MAX_FINISHED = 1024;

export interface JobResult {
  unit: string;
  /** `done`, `canceled`, `timeout`, `failed`, `dependency`, `skipped`. */
  result: string;
}

interface Waiter {
  resolve(r: JobResult): void;
  reject(e: Error): void;
}

export class JobTracker {
  private readonly finished = new Map<string, JobResult>();
  /**
   * Jobs waited for; those whose `JobRemoved` came before the wait began (the reply/signal race); waits cut short by a
   * lost connection.
   */
  readonly counts = { waited: 0, early: 0, lost: 0 };
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly bus: SystemdBus) {
    bus.onSignal((s) => this.onSignal(s));
    // A dropped connection loses the signals sent meanwhile: waiters learn it at once instead of at their deadline.
    bus.onDisconnect(() => {
      const err = new CgroupError('D-Bus connection closed while waiting for a systemd job', {
        code: 'ERR_DBUS_CONNECTION_CLOSED',
      });
      for (const [job, w] of [...this.waiters]) {
        this.waiters.delete(job);
        this.counts.lost++;
        w.reject(err);
      }
    });
  }

  private onSignal(s: SignalMessage): void {
    if (
      s.interface !== 'org.freedesktop.systemd1.Manager' ||
      s.member !== 'JobRemoved' ||
      s.path !== '/org/freedesktop/systemd1'
    )
      return;
    const [, job, unit, result] = s.body as [unknown, unknown, unknown, unknown];
    if (typeof job !== 'string' || typeof unit !== 'string' || typeof result !== 'string') return;
    this.record(job, { unit, result });
  }

  /** Records a finished job (from its signal): hands it to its waiter, or keeps it for one that comes later. */
  record(job: string, r: JobResult): void {
    const w = this.waiters.get(job);
    if (w) {
      this.waiters.delete(job);
      w.resolve(r);
      return;
    }
    this.finished.set(job, r);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.keys().next().value!);
  }

  /** Finished jobs nobody has claimed yet. */
  get unclaimed(): number {
    return this.finished.size;
  }

  /**
   * The result of `job`: at once if its signal already came, else when it comes. Rejects with `timeoutError()` after
   * `timeoutMs`, or with ERR_DBUS_CONNECTION_CLOSED when the connection drops first.
   */
  wait(job: string, timeoutMs: number, timeoutError: () => Error): Promise<JobResult> {
    this.counts.waited++;
    const done = this.finished.get(job);
    if (done) {
      this.counts.early++;
      this.finished.delete(job);
      return Promise.resolve(done);
    }
    if (!this.bus.connected) {
      // The connection that would carry the signal is already gone (dropped between the reply and this wait).
      return Promise.reject(
        new CgroupError('D-Bus connection closed while waiting for a systemd job', {
          code: 'ERR_DBUS_CONNECTION_CLOSED',
        }),
      );
    }
    if (this.waiters.has(job))
      return Promise.reject(new CgroupError(`already waiting for job ${job}`, { code: 'ERR_INVALID_STATE' }));
    return new Promise<JobResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(job);
        reject(timeoutError());
      }, timeoutMs);
      this.waiters.set(job, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }
}

const trackers = new WeakMap<SystemdBus, JobTracker>();

/** The job tracker of a bus (one per bus, created with it so no signal is missed). */
export function jobTrackerFor(bus: SystemdBus): JobTracker {
  let t = trackers.get(bus);
  if (!t) {
    t = new JobTracker(bus);
    trackers.set(bus, t);
  }
  return t;
}
