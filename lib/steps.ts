/**
 * The managers' cgroupfs work as steps. A generator yields each filesystem operation (mkdir, rmdir, list, read, write,
 * or a wait between retries) and receives its result (or has its error thrown in at the yield); `runSync` performs the
 * steps with the engine's synchronous calls, `runAsync` with its asynchronous ones. So each create, set and remove is
 * written once, its `…Sync` twin comes with it, and every step goes through the engine: resolved beneath the hierarchy
 * root descriptor, no symlink followed (docs/engine.md, "The write side").
 */
import type { Engine } from './engine';
import type { Hierarchy } from './hierarchy';

export type FsStep =
  | { op: 'mkdir' | 'rmdir' | 'list'; h: Hierarchy; path: string }
  | { op: 'read'; h: Hierarchy; path: string; name: string }
  | { op: 'write'; h: Hierarchy; path: string; name: string; data: string }
  | { op: 'sleep'; ms: number };

/** A sequence of steps that returns R. */
export type Steps<R> = Generator<FsStep, R, unknown>;

/** Creates a directory: true when made, false when one was there. */
export function* mkdir(h: Hierarchy, path: string): Steps<boolean> {
  return (yield { op: 'mkdir', h, path }) as boolean;
}

/** Removes an empty directory: true when removed, false when it did not exist. */
export function* rmdir(h: Hierarchy, path: string): Steps<boolean> {
  return (yield { op: 'rmdir', h, path }) as boolean;
}

/** Child directory names, or undefined when the directory does not exist. */
export function* children(h: Hierarchy, path: string): Steps<string[] | undefined> {
  return (yield { op: 'list', h, path }) as string[] | undefined;
}

export function* read(h: Hierarchy, path: string, name: string): Steps<string> {
  return (yield { op: 'read', h, path, name }) as string;
}

export function* write(h: Hierarchy, path: string, name: string, data: string): Steps<void> {
  yield { op: 'write', h, path, name, data };
}

export function* sleep(ms: number): Steps<void> {
  yield { op: 'sleep', ms };
}

/** mkdir -p of a cgroup path below the hierarchy root: every missing directory from the top; returns those made. */
export function* mkdirAll(h: Hierarchy, path: string): Steps<string[]> {
  const made: string[] = [];
  const parts = path === '' ? [] : path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    if (yield* mkdir(h, p)) made.push(p);
  }
  return made;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function stepSync(engine: Engine, s: FsStep): unknown {
  switch (s.op) {
    case 'mkdir':
      return engine.mkdirSync(s.h, s.path);
    case 'rmdir':
      return engine.rmdirSync(s.h, s.path);
    case 'list':
      return engine.childrenSync(s.h, s.path);
    case 'read':
      return engine.readTextSync(s.h, s.path, s.name);
    case 'write':
      return engine.writeTextSync(s.h, s.path, s.name, s.data);
    case 'sleep':
      return sleepSync(s.ms);
  }
}

function stepAsync(engine: Engine, s: FsStep): Promise<unknown> {
  switch (s.op) {
    case 'mkdir':
      return engine.mkdir(s.h, s.path);
    case 'rmdir':
      return engine.rmdir(s.h, s.path);
    case 'list':
      return engine.children(s.h, s.path);
    case 'read':
      return engine.readText(s.h, s.path, s.name);
    case 'write':
      return engine.writeText(s.h, s.path, s.name, s.data);
    case 'sleep':
      return new Promise((resolve) => setTimeout(resolve, s.ms));
  }
}

/** Performs the steps on the calling thread. */
export function runSync<R>(engine: Engine, steps: Steps<R>): R {
  let r = steps.next();
  while (!r.done) {
    let value: unknown;
    let error: unknown;
    let failed = false;
    try {
      value = stepSync(engine, r.value);
    } catch (e) {
      failed = true;
      error = e;
    }
    r = failed ? steps.throw(error) : steps.next(value);
  }
  return r.value;
}

/** Performs the steps with the engine's asynchronous calls (each on the libuv pool). */
export async function runAsync<R>(engine: Engine, steps: Steps<R>): Promise<R> {
  let r = steps.next();
  while (!r.done) {
    let value: unknown;
    let error: unknown;
    let failed = false;
    try {
      value = await stepAsync(engine, r.value);
    } catch (e) {
      failed = true;
      error = e;
    }
    r = failed ? steps.throw(error) : steps.next(value);
  }
  return r.value;
}
