/**
 * Our typed D-Bus connection (issue 5), on top of `@homebridge/dbus-native` (see docs/systemd.md for why): one
 * socket opened lazily, method calls with a deadline, signal listeners that survive reconnects, and CRI-O's
 * RetryOnDisconnect (a call that fails because the bus dropped the connection is retried on a fresh one).
 * 64-bit integers are exact both ways: `t`/`x` values are sent from bigints (as decimal strings, which the library
 * parses exactly) and received as bigints.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { inspect } from 'node:util';
import { CgroupError, invalidArg } from '../errors';

// The library has no usable types for what we use; this is the part of it we rely on.
interface NativeConnection {
  on(event: 'message', listener: (m: NativeMessage) => void): void;
  on(event: 'error', listener: (e: Error) => void): void;
  on(event: 'end' | 'connect', listener: () => void): void;
  once(event: 'connect', listener: () => void): void;
  stream: import('node:net').Socket;
  end(): void;
}
interface NativeBus {
  connection: NativeConnection;
  cookies: Record<number, unknown>;
  invoke(msg: NativeMessage, cb: (err: NativeError | null | undefined, ...body: unknown[]) => void): void;
}
interface NativeError {
  name?: string;
  message?: string;
  body?: unknown[];
}
interface NativeMessage {
  type?: number;
  serial?: number;
  destination?: string;
  path?: string;
  interface?: string;
  member?: string;
  signature?: string;
  body?: unknown[];
  sender?: string;
}
// Loaded on first connect: the library and its XML parser are ~56 modules that a program reading stats never needs.
// It is an optional dependency (`npm install --omit=optional` leaves it out): missing, the systemd manager says so.
let dbusNative: { createClient(o: object): NativeBus } | undefined;
function client(): { createClient(o: object): NativeBus } {
  if (dbusNative === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      dbusNative = require('@homebridge/dbus-native') as { createClient(o: object): NativeBus };
    } catch (err) {
      throw new CgroupError(
        'the systemd manager needs the optional dependency @homebridge/dbus-native ' +
          `(npm install @homebridge/dbus-native): ${(err as Error).message.split('\n')[0]}`,
        { code: 'ERR_MODULE_NOT_FOUND', cause: err },
      );
    }
  }
  return dbusNative;
}

const SIGNAL = 4;
/** Default deadline of one method call (libdbus's default). */
export const DEFAULT_CALL_TIMEOUT_MS = 25000;
/** How often a call is retried after the bus dropped the connection. */
const DISCONNECT_RETRIES = 3;

export interface BusOptions {
  /** An explicit D-Bus address (`unix:path=…`), e.g. a test systemd's bus; overrides `user`. */
  address?: string;
  /** The user bus (rootless use): `$DBUS_SESSION_BUS_ADDRESS`, else `unix:path=$XDG_RUNTIME_DIR/bus`. */
  user?: boolean;
  /** A peer-to-peer socket without a bus daemon (no `Hello`, no `AddMatch`), e.g. `unix:path=/run/systemd/private`. */
  direct?: boolean;
  /** Deadline of each method call in ms; default 25000. */
  callTimeoutMs?: number;
}

export interface CallMessage {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

export interface SignalMessage {
  path: string;
  interface: string;
  member: string;
  sender: string | undefined;
  body: unknown[];
}

/** A D-Bus error reply, or a failure of the connection, as a CgroupError (`dbusName` is the D-Bus error name). */
export interface DBusError extends CgroupError {
  dbusName?: string;
}

export function dbusError(message: string, code: string, dbusName?: string, cause?: unknown): DBusError {
  const e = new CgroupError(message, { code, cause }) as DBusError;
  if (dbusName !== undefined) e.dbusName = dbusName;
  return e;
}

/** The error of a call whose connection went away: the only one RetryOnDisconnect retries. */
export function isConnectionClosed(e: unknown): boolean {
  return (e as CgroupError)?.code === 'ERR_DBUS_CONNECTION_CLOSED';
}

/** The address to use: explicit, else the user bus, else the system bus (`$DBUS_SYSTEM_BUS_ADDRESS` or the default). */
export function resolveBusAddress(o: BusOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (o.address !== undefined) return o.address;
  if (o.user) {
    if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
    const runtime = env.XDG_RUNTIME_DIR ?? `/run/user/${os.userInfo().uid}`;
    const p = `${runtime}/bus`;
    if (!fs.existsSync(p)) {
      throw dbusError(
        `no user D-Bus: $DBUS_SESSION_BUS_ADDRESS is not set and ${p} does not exist (install dbus-user-session)`,
        'ERR_DBUS_NO_BUS',
      );
    }
    return `unix:path=${p}`;
  }
  return env.DBUS_SYSTEM_BUS_ADDRESS || 'unix:path=/run/dbus/system_bus_socket';
}

function checkAddress(a: string): string {
  // The library's parser: `unix:path=…` / `unix:abstract=…` / `tcp:host=…,port=…`. Anything else is refused here.
  if (!/^(unix|tcp):[^;]*=/.test(a))
    throw invalidArg('bus.address', a, "must be a D-Bus address such as 'unix:path=/run/dbus/system_bus_socket'");
  return a;
}

// Long.js values (the library's 64-bit representation) → bigint, recursively; Buffers and the rest kept.
function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  const l = v as { __isLong__?: boolean; low: number; high: number; unsigned: boolean };
  if (l.__isLong__ === true) {
    const u = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return l.unsigned ? u : BigInt.asIntN(64, u);
  }
  if (Array.isArray(v)) return v.map(fromWire);
  return v;
}

// bigint → decimal string for the library's exact 64-bit marshaller (a bigint would silently become 0 there).
function toWire(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toWire);
  return v;
}

/** Checks bus options (address syntax, deadline) and returns a copy. Nothing is connected. */
export function checkBusOptions(options: BusOptions): BusOptions {
  if (options === null || typeof options !== 'object')
    throw invalidArg('bus', options, 'must be a SystemdBus or bus options');
  if (options.address !== undefined) {
    if (typeof options.address !== 'string') throw invalidArg('bus.address', options.address, 'must be a string');
    checkAddress(options.address);
  }
  const t = options.callTimeoutMs;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t <= 0))
    throw invalidArg('bus.callTimeoutMs', t, 'must be a positive integer');
  return { ...options };
}

/** One socket to the bus; closed for good once it ends. */
class Connection {
  closed = false;
  readonly ready: Promise<void>;
  private readonly native: NativeBus;
  private readonly pending = new Set<(e: Error) => void>();
  private busy = 0;

  constructor(
    readonly address: string,
    private readonly owner: SystemdBus,
    direct: boolean,
  ) {
    const lib = client();
    try {
      this.native = lib.createClient({ busAddress: address, direct, ReturnLongjs: true });
    } catch (e) {
      throw dbusError(
        `cannot connect to D-Bus at ${address}: ${(e as Error).message}`,
        'ERR_DBUS_CONNECT',
        undefined,
        e,
      );
    }
    const conn = this.native.connection;
    this.hold(); // until connected
    conn.on('message', (m) => {
      if (m.type === SIGNAL) {
        owner.dispatch({
          path: m.path ?? '',
          interface: m.interface ?? '',
          member: m.member ?? '',
          sender: m.sender,
          body: fromWire(m.body ?? []) as unknown[],
        });
      }
    });
    let connected = false;
    const opened = new Promise<void>((resolve, reject) => {
      conn.once('connect', () => {
        connected = true;
        resolve();
      });
      conn.on('error', (e) => {
        if (!connected)
          reject(dbusError(`cannot connect to D-Bus at ${address}: ${e.message}`, 'ERR_DBUS_CONNECT', undefined, e));
        this.close(e);
      });
      conn.on('end', () => {
        if (!connected)
          reject(dbusError(`cannot connect to D-Bus at ${address}: connection closed`, 'ERR_DBUS_CONNECT'));
        this.close();
      });
      conn.stream.on('close', () => this.close());
    });
    // The library sends Hello itself (unless direct); a match rule makes the bus route systemd's JobRemoved to us.
    this.ready = opened.then(async () => {
      if (direct) return;
      await this.call(
        {
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'AddMatch',
          signature: 's',
          body: [
            "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'",
          ],
        },
        owner.callTimeoutMs,
      );
    });
    this.ready.then(
      () => this.release(),
      () => {
        this.release();
        this.close();
      },
    );
  }

  // The socket keeps the process alive only while something is in flight (connecting, a call): an idle connection
  // does not stop a program from exiting.
  private hold(): void {
    if (this.busy++ === 0) this.native.connection.stream.ref();
  }

  private release(): void {
    if (--this.busy === 0) this.native.connection.stream.unref();
  }

  /** Marks the connection closed, fails its pending calls with "connection closed", tells the owner. */
  close(cause?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const err = dbusError(
      `D-Bus connection to ${this.address} closed${cause ? `: ${cause.message}` : ''}`,
      'ERR_DBUS_CONNECTION_CLOSED',
      undefined,
      cause,
    );
    for (const fail of [...this.pending]) fail(err);
    this.pending.clear();
    try {
      this.native.connection.stream.destroy();
    } catch {
      // already gone
    }
    this.owner.dropped(this);
  }

  call(msg: CallMessage, timeoutMs: number): Promise<unknown[]> {
    if (this.closed)
      return Promise.reject(dbusError(`D-Bus connection to ${this.address} closed`, 'ERR_DBUS_CONNECTION_CLOSED'));
    return new Promise<unknown[]>((resolve, reject) => {
      const wire: NativeMessage = { ...msg, ...(msg.body ? { body: toWire(msg.body) as unknown[] } : {}) };
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const done = (fail: (e: Error) => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(fail);
        this.release();
      };
      const fail = (e: Error) => {
        done(fail);
        reject(e);
      };
      this.hold();
      this.pending.add(fail);
      timer = setTimeout(() => {
        if (wire.serial !== undefined) delete this.native.cookies[wire.serial];
        fail(
          dbusError(`D-Bus call ${msg.interface}.${msg.member} timed out after ${timeoutMs} ms`, 'ERR_DBUS_TIMEOUT'),
        );
      }, timeoutMs);
      try {
        this.native.invoke(wire, (err, ...body) => {
          done(fail);
          if (err) {
            const text =
              typeof err.message === 'string' && err.message !== '' ? err.message : (err.name ?? inspect(err));
            const e = dbusError(text, 'ERR_DBUS_CALL', err.name);
            reject(e);
          } else {
            resolve(fromWire(body) as unknown[]);
          }
        });
      } catch (e) {
        // marshalling errors are thrown synchronously by the library
        fail(
          dbusError(
            `D-Bus call ${msg.interface}.${msg.member}: ${(e as Error).message}`,
            'ERR_DBUS_MARSHAL',
            undefined,
            e,
          ),
        );
      }
    });
  }
}

/**
 * A lazily opened, shared D-Bus connection with reconnects. Calls go through `call` (RetryOnDisconnect); signal
 * listeners stay registered across reconnects; `onDisconnect` listeners learn that a connection went away (signals
 * sent meanwhile are lost).
 */
export class SystemdBus {
  readonly callTimeoutMs: number;
  private readonly options: BusOptions;
  private conn: Connection | undefined;
  private readonly signalListeners = new Set<(s: SignalMessage) => void>();
  private readonly disconnectListeners = new Set<() => void>();
  /** Connections opened so far (1 + reconnects). */
  connects = 0;

  constructor(options: BusOptions = {}) {
    this.options = checkBusOptions(options);
    this.callTimeoutMs = this.options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** The address this bus connects to (resolved on each connect, so environment changes apply on reconnect). */
  get address(): string {
    return checkAddress(resolveBusAddress(this.options));
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  private async connection(): Promise<Connection> {
    if (!this.conn || this.conn.closed) {
      this.conn = new Connection(this.address, this, this.options.direct === true);
      this.connects++;
    }
    const c = this.conn;
    await c.ready;
    return c;
  }

  /**
   * One method call with a deadline. A connection the bus closed (before or during the call) is replaced and the call
   * retried (CRI-O's RetryOnDisconnect, bounded here); every other error is returned (`code` ERR_DBUS_CALL with
   * `dbusName`, ERR_DBUS_TIMEOUT, ERR_DBUS_CONNECT).
   */
  async call(msg: CallMessage, timeoutMs: number = this.callTimeoutMs): Promise<unknown[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const c = await this.connection();
        return await c.call(msg, timeoutMs);
      } catch (e) {
        if (!isConnectionClosed(e) || attempt >= DISCONNECT_RETRIES) throw e;
      }
    }
  }

  /** Registers a signal listener (all signals our match rules deliver); returns the function that removes it. */
  onSignal(listener: (s: SignalMessage) => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /** @internal */
  dispatch(s: SignalMessage): void {
    for (const l of [...this.signalListeners]) l(s);
  }

  /** @internal */
  dropped(c: Connection): void {
    if (this.conn === c) this.conn = undefined;
    for (const l of [...this.disconnectListeners]) l();
  }

  /** Closes the current connection (the next call opens a new one). */
  close(): void {
    this.conn?.close();
  }
}

const shared = new Map<string, SystemdBus>();

/**
 * The process-wide bus for these options (CRI-O keeps one connection per process): managers built with the same
 * address, bus kind and deadline share one connection.
 */
export function sharedBus(options: BusOptions = {}): SystemdBus {
  const key = JSON.stringify([
    options.address ?? null,
    options.user === true,
    options.direct === true,
    options.callTimeoutMs ?? null,
  ]);
  let b = shared.get(key);
  if (!b) {
    b = new SystemdBus(options);
    shared.set(key, b);
  }
  return b;
}
