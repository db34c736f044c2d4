/**
 * The sandbox parent memory check of spec §5.3 (CRI-O's verifyCgroupHasEnoughMemory): reads the parent's memory
 * limit file (v2 `memory.max`, v1 `memory.limit_in_bytes`) and fails when it is below the minimum.
 */
import { unifiedHierarchy, type CgroupContext } from '../cgroup';
import { CgroupError } from '../errors';
import type { Hierarchy } from '../hierarchy';
import { verifyMemoryIsEnough } from '../memory';
import { join } from '../paths';
import * as steps from '../steps';
import type { Steps } from '../steps';

const INT64_RE = /^[+-]?[0-9]+$/;

/** Go's strconv.ParseInt(s, 10, 64) error text for s, or undefined when it parses. */
function parseInt64(s: string): { value?: bigint; error?: string } {
  if (!INT64_RE.test(s)) return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax` };
  const v = BigInt(s);
  if (v < -(1n << 63n) || v >= 1n << 63n)
    return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range` };
  return { value: v };
}

/**
 * file = Join(memoryPath, slicePath, memoryMaxFile), read through the context's engine (beneath the memory hierarchy,
 * no symlinks). Absent → warning `Failed to find <file> at path: "<slicePath>"` and pass; other read errors →
 * `unable to read memory file for cgroups at <slicePath>: <inner>`; only trailing "\n" stripped; "" or "max" pass;
 * unparsable → `error converting cgroup memory value from string to int "<s>": <inner>`; too low → `pod set memory
 * limit <v> too low; should be at least <min> bytes`. The caller has validated slicePath (no "..", no NUL). As engine
 * steps (lib/steps.ts): the sync and async sandboxCgroupPath run the same check.
 */
export function* verifyCgroupHasEnoughMemory(
  slicePath: string,
  ctx: CgroupContext,
  memoryMaxFile: string,
  min: number | bigint,
): Steps<void> {
  const logger = ctx.logger;
  const rel = join('/', slicePath).slice(1);
  const h: Hierarchy | undefined =
    ctx.version === 2 ? unifiedHierarchy(ctx.layout) : ctx.layout.controllers.get('memory');
  const file = join(h?.path ?? join(ctx.root, 'memory'), rel, memoryMaxFile);
  let text: string;
  try {
    if (h === undefined) throw Object.assign(new Error('the memory hierarchy is not mounted'), { code: 'ENOENT' });
    text = yield* steps.read(h, rel, memoryMaxFile);
  } catch (e) {
    const err = e as CgroupError;
    if (err.code === 'ENOENT' || err.code === 'ERR_CGROUP_NOT_MOUNTED') {
      logger.warn?.(`Failed to find ${memoryMaxFile} at path: ${JSON.stringify(slicePath)}`);
      return;
    }
    throw new CgroupError(`unable to read memory file for cgroups at ${slicePath}: ${err.message}`, {
      code: 'ERR_CGROUP_MEMORY_READ',
      path: file,
      cause: err,
    });
  }
  let s = text;
  while (s.endsWith('\n')) s = s.slice(0, -1);
  if (s === '' || s === 'max') return;
  const parsed = parseInt64(s);
  if (parsed.error !== undefined) {
    throw new CgroupError(
      `error converting cgroup memory value from string to int ${JSON.stringify(s)}: ${parsed.error}`,
      {
        code: 'ERR_CGROUP_MEMORY_PARSE',
        path: file,
      },
    );
  }
  try {
    verifyMemoryIsEnough(parsed.value!, min);
  } catch (e) {
    const err = e as CgroupError;
    if (err.code !== 'ERR_CGROUP_MEMORY_TOO_LOW') throw err;
    throw new CgroupError(`pod ${err.message}`, { code: 'ERR_CGROUP_MEMORY_TOO_LOW', path: file });
  }
}
