import { getSystemErrorMap, getSystemErrorName } from 'node:util';

/**
 * The error class of cgmgr. Shaped like Node's own system errors (fs, net): `code` is the stable field to branch on
 * (`'ENOENT'`, `'ENODEV'`, or one of ours, `'ERR_CGROUP_*'`), `errno` is negative as in libuv, `syscall` names the call
 * that failed and `path` the full file path. The native addon builds instances of this class (it is handed to native
 * once, at load), so `instanceof CgroupError` holds for every error cgmgr raises about a cgroup.
 */
export interface CgroupErrorProperties {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
  controller?: string;
  file?: string;
  cause?: unknown;
}

export class CgroupError extends Error {
  code: string;
  // `declare`: only set when known, so an error without them has no such keys (as with Node's errors).
  declare errno?: number;
  declare syscall?: string;
  declare path?: string;
  declare controller?: string;
  declare file?: string;

  constructor(message: string, props: CgroupErrorProperties) {
    super(message, props.cause === undefined ? undefined : { cause: props.cause });
    this.name = 'CgroupError';
    this.code = props.code;
    if (props.errno !== undefined) this.errno = props.errno;
    if (props.syscall !== undefined) this.syscall = props.syscall;
    if (props.path !== undefined) this.path = props.path;
    if (props.controller !== undefined) this.controller = props.controller;
    if (props.file !== undefined) this.file = props.file;
  }
}

/** Syscall ids of encoded statuses; keep in step with native/errors.h SyscallId. */
export const SYSCALLS = ['', 'openat', 'openat2', 'read', 'pread', 'write', 'fstat', 'statfs', 'close', 'getrlimit'];

/** Splits a negative batch status, -(syscall * 4096 + errno), into its parts. */
export function decodeSysStatus(status: number): { errno: number; syscall: string } {
  const e = -status;
  return { errno: e % 4096, syscall: SYSCALLS[Math.floor(e / 4096)] ?? '' };
}

/** A CgroupError for a failed syscall, worded like Node's: "ENOENT: no such file or directory, openat '/x'". */
export function sysError(
  errno: number,
  syscall: string,
  path: string | undefined,
  extra?: Partial<CgroupErrorProperties>,
): CgroupError {
  const code = errnoName(errno);
  const where = path === undefined ? '' : ` '${path}'`;
  return new CgroupError(`${code}: ${errnoMessage(errno)}, ${syscall}${where}`, {
    code,
    errno: -errno,
    syscall,
    ...(path === undefined ? {} : { path }),
    ...extra,
  });
}

/** Argument validation failures: a TypeError/RangeError-like CgroupError with Node's ERR_INVALID_ARG_VALUE code. */
export function invalidArg(name: string, value: unknown, reason: string): CgroupError {
  let shown: string;
  try {
    shown = typeof value === 'string' ? `'${value}'` : String(value);
  } catch {
    shown = typeof value;
  }
  return new CgroupError(`The argument '${name}' ${reason}. Received ${shown}`, { code: 'ERR_INVALID_ARG_VALUE' });
}

// errno names and messages come from libuv's tables (util.getSystemErrorName / getSystemErrorMap).
function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}

function errnoMessage(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? 'unknown error';
}
