/**
 * Where the native addon can be found, in the order the loader (lib/native.ts) and the install script
 * (scripts/install.js) try them. Plain path logic, no loading: both share it so they never disagree.
 *
 * 1. `CGMGR_ADDON` (a path): that build and nothing else (CI loads the cmake-js and sanitizer builds this way).
 * 2. `build/Release/cgmgr.node`: a local node-gyp build (a git checkout, or the install script's fallback compile).
 * 3. `prebuilds/<platform>-<arch>/cgmgr.napi.<libc>.node`: the prebuilt addon in the npm package (N-API 9), e.g.
 *    `prebuilds/linux-x64/cgmgr.napi.glibc.node`, `prebuilds/linux-arm64/cgmgr.napi.glibc.node`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The package's root directory (where package.json, build/ and prebuilds/ are). */
export const PACKAGE_ROOT = resolve(__dirname, '..');

export interface AddonCandidate {
  /** How the candidate is named in messages: "CGMGR_ADDON", "local build", "prebuilt addon". */
  kind: 'CGMGR_ADDON' | 'local build' | 'prebuilt addon';
  file: string;
}

let libcCache: 'glibc' | 'musl' | undefined;

/**
 * The C library this process runs on. Fast path (as detect-libc does): the system's `ldd` names its library
 * ("GNU C Library" or "musl"). Otherwise Node's report (about 12 ms, so only as the fallback): glibc when it has a
 * glibc runtime version, else musl.
 */
export function libc(): 'glibc' | 'musl' {
  if (libcCache === undefined) {
    let ldd = '';
    try {
      ldd = readFileSync('/usr/bin/ldd', 'latin1').slice(0, 4096);
    } catch {
      /* no ldd: ask the report */
    }
    if (ldd.includes('GNU C Library') || ldd.includes('GLIBC')) libcCache = 'glibc';
    else if (ldd.includes('musl')) libcCache = 'musl';
    else {
      const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
      libcCache = header?.glibcVersionRuntime ? 'glibc' : 'musl';
    }
  }
  return libcCache;
}

/** The prebuild's path for a platform, architecture and C library (relative to the package root). */
export function prebuildPath(
  platform: string = process.platform,
  arch: string = process.arch,
  c: string = libc(),
): string {
  return join('prebuilds', `${platform}-${arch}`, `cgmgr.napi.${c}.node`);
}

/**
 * The files to try, in order. With CGMGR_ADDON set only that one (an explicit choice never falls back). The local
 * build is listed only when it exists; the prebuild always (its absence is part of the failure message).
 */
export function addonCandidates(root: string = PACKAGE_ROOT, env: NodeJS.ProcessEnv = process.env): AddonCandidate[] {
  if (env.CGMGR_ADDON) return [{ kind: 'CGMGR_ADDON', file: resolve(env.CGMGR_ADDON) }];
  const out: AddonCandidate[] = [];
  const local = join(root, 'build', 'Release', 'cgmgr.node');
  if (existsSync(local)) out.push({ kind: 'local build', file: local });
  out.push({ kind: 'prebuilt addon', file: join(root, prebuildPath()) });
  return out;
}
