/**
 * Go path semantics (spec §0.3): CRI-O computes every cgroup path with Go's `path`/`path/filepath`, whose Clean, Join,
 * Base and Dir differ from Node's `path.posix` in corner cases ("" → ".", trailing slashes, ".." at the root). They are
 * implemented here once, and `expandSlice` (spec §2.5) on top of them.
 */
import { CgroupError } from './errors';

/** Go's path.Clean: lexical normalisation; "" → "."; no trailing slash except for "/"; ".." at the root is dropped. */
export function clean(p: string): string {
  if (p === '') return '.';
  // Already clean (the common case: a manager's own joins): no "//", no element starting with "." (so no "." or ".."),
  // no trailing slash.
  if (!p.includes('//') && !p.includes('/.') && p.charCodeAt(0) !== 46 && (p.length === 1 || !p.endsWith('/')))
    return p;
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

/** Go's path.Join: the non-empty elements joined by "/" and cleaned; "" when every element is empty. */
export function join(...elems: string[]): string {
  if (elems.length === 3 && elems[0] === '/' && elems[1] !== '' && elems[2] !== '')
    return clean(`/${elems[1]}/${elems[2]}`);
  const parts = elems.filter((e) => e !== '');
  if (parts.length === 0) return '';
  return clean(parts.join('/'));
}

/** Go's path.Base: the last element, trailing slashes dropped; "" → "."; all slashes → "/". */
export function base(p: string): string {
  if (p === '') return '.';
  let s = p;
  while (s.length > 0 && s.endsWith('/')) s = s.slice(0, -1);
  if (s === '') return '/';
  const i = s.lastIndexOf('/');
  return i >= 0 ? s.slice(i + 1) : s;
}

/** Go's path.Dir: everything up to the last "/", cleaned ("" → "."). */
export function dir(p: string): string {
  const i = p.lastIndexOf('/');
  return clean(p.slice(0, i + 1));
}

/** The error of expandSlice: `invalid slice name: <slice>` (code ERR_CGROUP_INVALID_SLICE). */
export function invalidSlice(slice: string): CgroupError {
  return new CgroupError(`invalid slice name: ${slice}`, { code: 'ERR_CGROUP_INVALID_SLICE' });
}

/**
 * opencontainers/cgroups' ExpandSlice: `a-b-c.slice` → `/a.slice/a-b.slice/a-b-c.slice`, `-.slice` → `/`.
 * Throws `invalid slice name: <slice>` for anything else (no ".slice" suffix, a "/", an empty dash component).
 */
export function expandSlice(slice: string): string {
  if (typeof slice !== 'string') throw invalidSlice(String(slice));
  const suffix = '.slice';
  if (slice.length < suffix.length || !slice.endsWith(suffix)) throw invalidSlice(slice);
  if (slice.includes('/')) throw invalidSlice(slice);
  const name = slice.slice(0, -suffix.length);
  if (name === '-') return '/';
  let out = '';
  let prefix = '';
  for (const component of name.split('-')) {
    if (component === '') throw invalidSlice(slice);
    out += `/${prefix}${component}${suffix}`;
    prefix += `${component}-`;
  }
  return out;
}
