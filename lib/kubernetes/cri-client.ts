/**
 * A minimal CRI (runtime.v1) client over gRPC on the runtime's unix socket: the read-only calls the node agent needs
 * (Version, ListPodSandbox, PodSandboxStatus, ListContainers, ContainerStatus, the GetContainerEvents stream), from the
 * project's own proto (cri.proto: cri-api's field numbers). `@grpc/grpc-js` and `@grpc/proto-loader` are optional
 * dependencies loaded here, on first use: `require('cgmgr')` never loads them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, invalidArg } from '../errors';

/** The usual runtime sockets, in the order kubelet's tools (crictl) try them. */
export const DEFAULT_RUNTIME_ENDPOINTS = [
  'unix:///run/containerd/containerd.sock',
  'unix:///var/run/crio/crio.sock',
] as const;

/** A unix endpoint (`unix:///path`, `unix:/path` or an absolute path) as `unix:///path`; TypeError otherwise. */
export function normalizeEndpoint(endpoint: string): string {
  if (typeof endpoint !== 'string' || endpoint.length === 0)
    throw invalidArg('runtimeEndpoint', endpoint, 'must be a non-empty string');
  let p: string;
  if (endpoint.startsWith('unix://')) p = endpoint.slice('unix://'.length);
  else if (endpoint.startsWith('unix:')) p = endpoint.slice('unix:'.length);
  else if (endpoint.startsWith('/')) p = endpoint;
  else
    throw invalidArg(
      'runtimeEndpoint',
      endpoint,
      'must be a unix socket (unix:///path/to/socket); other transports are not supported',
    );
  if (!p.startsWith('/') || p.includes('\0'))
    throw invalidArg('runtimeEndpoint', endpoint, 'must be an absolute socket path');
  return `unix://${path.posix.normalize(p)}`;
}

/**
 * The runtime endpoint: the explicit one, else CONTAINER_RUNTIME_ENDPOINT, else the first of the usual sockets that
 * exists (the first of them when none does: the client then reports it unreachable until it appears).
 */
export function resolveRuntimeEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined) return normalizeEndpoint(explicit);
  const fromEnv = env.CONTAINER_RUNTIME_ENDPOINT;
  if (fromEnv !== undefined && fromEnv !== '') return normalizeEndpoint(fromEnv);
  for (const e of DEFAULT_RUNTIME_ENDPOINTS) {
    try {
      if (fs.statSync(e.slice('unix://'.length)).isSocket()) return e;
    } catch {
      // not there
    }
  }
  return DEFAULT_RUNTIME_ENDPOINTS[0];
}

export interface CriPodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CriContainer {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string; user_specified_image?: string } | null;
  image_ref: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CriContainerStatus {
  status: {
    id: string;
    image: { image: string } | null;
    image_ref: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  } | null;
  info: Record<string, string>;
}

export interface CriSandboxStatus {
  status: {
    id: string;
    metadata: CriPodSandbox['metadata'];
    labels: Record<string, string>;
    annotations: Record<string, string>;
  } | null;
  info: Record<string, string>;
}

export interface CriVersion {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface CriEvent {
  container_id: string;
  container_event_type: string;
}

export interface CriClientOptions {
  /** Deadline of each unary call. Default 2000 ms. */
  timeoutMs?: number;
}

type GrpcModule = typeof import('@grpc/grpc-js');
type Unary = (
  req: object,
  meta: object,
  opts: { deadline: number },
  cb: (err: Error | null, res: unknown) => void,
) => void;

let loaded:
  | { grpc: GrpcModule; service: new (address: string, creds: unknown, options: object) => Record<string, unknown> }
  | undefined;

/** The proto next to the compiled code (when the build copies it) or in the package's lib/kubernetes/. */
export function protoPath(): string {
  const candidates = [
    path.join(__dirname, 'cri.proto'),
    path.join(__dirname, '..', '..', 'lib', 'kubernetes', 'cri.proto'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new CgroupError(`cri.proto not found (looked at ${candidates.join(', ')})`, { code: 'ERR_CRI_UNAVAILABLE' });
}

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  let grpc: GrpcModule;
  let protoLoader: typeof import('@grpc/proto-loader');
  try {
    // Optional dependencies, loaded on first use (a missing one is the error below).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    grpc = require('@grpc/grpc-js') as GrpcModule;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  } catch (err) {
    throw new CgroupError(
      'Kubernetes mode needs the optional dependencies @grpc/grpc-js and @grpc/proto-loader ' +
        '(npm install @grpc/grpc-js @grpc/proto-loader)',
      { code: 'ERR_CRI_UNAVAILABLE', cause: err },
    );
  }
  const def = protoLoader.loadSync(protoPath(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: NonNullable<typeof loaded>['service'] } };
  };
  loaded = { grpc, service: pkg.runtime.v1.RuntimeService };
  return loaded;
}

/** A CRI error: code ERR_CRI, `grpcCode` the gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED, ...). */
export class CriError extends CgroupError {
  constructor(
    message: string,
    readonly grpcCode: string,
    readonly endpoint: string,
    cause?: unknown,
  ) {
    super(message, { code: 'ERR_CRI', cause });
    this.name = 'CriError';
  }
}

export class CriClient {
  readonly endpoint: string;
  private readonly grpc: GrpcModule;
  private readonly stub: Record<string, unknown>;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(endpoint: string, options: CriClientOptions = {}) {
    this.endpoint = normalizeEndpoint(endpoint);
    const timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw invalidArg('timeoutMs', timeoutMs, 'must be a positive number');
    this.timeoutMs = timeoutMs;
    const { grpc, service } = load();
    this.grpc = grpc;
    this.stub = new service(this.endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024, // as kubelet
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 10000,
    });
  }

  private call<T>(method: string, req: object): Promise<T> {
    if (this.closed) return Promise.reject(new CriError('the CRI client is closed', 'CANCELLED', this.endpoint));
    const fn = this.stub[method] as Unary;
    return new Promise<T>((resolve, reject) => {
      fn.call(this.stub, req, new this.grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err !== null) reject(this.wrap(method, err));
        else resolve(res as T);
      });
    });
  }

  private wrap(method: string, err: Error & { code?: number; details?: string }): CriError {
    const name = typeof err.code === 'number' ? (this.grpc.status[err.code] ?? String(err.code)) : 'UNKNOWN';
    return new CriError(
      `CRI ${method} at ${this.endpoint}: ${name}: ${err.details ?? err.message}`,
      name,
      this.endpoint,
      err,
    );
  }

  version(): Promise<CriVersion> {
    return this.call('Version', { version: 'v1' });
  }

  async listPodSandbox(): Promise<CriPodSandbox[]> {
    return (await this.call<{ items: CriPodSandbox[] }>('ListPodSandbox', {})).items;
  }

  async listContainers(): Promise<CriContainer[]> {
    return (await this.call<{ containers: CriContainer[] }>('ListContainers', {})).containers;
  }

  containerStatus(id: string, verbose = false): Promise<CriContainerStatus> {
    return this.call('ContainerStatus', { container_id: id, verbose });
  }

  podSandboxStatus(id: string, verbose = false): Promise<CriSandboxStatus> {
    return this.call('PodSandboxStatus', { pod_sandbox_id: id, verbose });
  }

  /**
   * Follows GetContainerEvents: `onEvent` per event; `onEnd` once when the stream ends or fails (UNIMPLEMENTED where
   * the runtime has no event stream, e.g. containerd 1.6). Returns a function that cancels the stream.
   */
  events(onEvent: (e: CriEvent) => void, onEnd: (err: CriError | undefined) => void): () => void {
    const fn = this.stub.GetContainerEvents as (req: object) => NodeJS.EventEmitter & { cancel(): void };
    const stream = fn.call(this.stub, {});
    let ended = false;
    const end = (err: CriError | undefined): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on('data', (e: CriEvent) => onEvent(e));
    stream.on('error', (err: Error & { code?: number }) => {
      if (err.code === this.grpc.status.CANCELLED) end(undefined);
      else end(this.wrap('GetContainerEvents', err));
    });
    stream.on('end', () => end(undefined));
    return () => {
      ended = true;
      stream.cancel();
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    (this.stub as unknown as { close(): void }).close();
  }
}
