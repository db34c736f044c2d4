/** Argument checks shared by every entry point: JS validates, native trusts (and checks again). */
import { invalidArg } from './errors';

/**
 * A cgroup path relative to the hierarchy roots: `''`/`'/'` is the root, `'/kubepods/pod1'` and `'kubepods/pod1'` are
 * the same cgroup. Every component must be a name: no `..`, no `.`, no empty component (`a//b`), no NUL.
 * Returns the path without its leading and trailing slash.
 */
export function cgroupRelPath(value: unknown, name = 'path'): string {
  if (typeof value !== 'string') throw invalidArg(name, value, 'must be a string');
  let p = value;
  if (p.startsWith('/')) p = p.slice(1);
  if (p.endsWith('/')) p = p.slice(0, -1);
  if (p === '') return '';
  // PATH_MAX counts bytes: a path of 2000 three-byte characters is 6000 bytes, too long though only 2000 UTF-16 units.
  if (Buffer.byteLength(p) >= 4096) throw invalidArg(name, value, 'is too long (4096 bytes or more in UTF-8)');
  for (const part of p.split('/')) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
      throw invalidArg(name, value, "must be a cgroup path of names (no '..', '.', empty parts or NUL)");
    }
    if (Buffer.byteLength(part) > 255) throw invalidArg(name, value, 'has a component longer than 255 bytes');
  }
  return p;
}

/** A single file or cgroup name: non-empty, no '/', not '.' or '..', no NUL. */
export function cgroupName(value: unknown, name = 'name'): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value === '.' ||
    value === '..' ||
    value.includes('/') ||
    value.includes('\0') ||
    Buffer.byteLength(value) > 255
  ) {
    throw invalidArg(name, value, "must be a name (non-empty, no '/', not '.' or '..', no NUL)");
  }
  return value;
}

/** A pid: a positive 32-bit integer. */
export function pid(value: unknown, name = 'pid'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 0x7fffffff) {
    throw invalidArg(name, value, 'must be a positive 32-bit integer');
  }
  return value;
}
