/**
 * Start-up bundles: a runtime hook's `require('cgmgr')` + first `statsSync`, and the CLI's `cgmgr paths`/`cgmgr move`,
 * load their dist/ modules from one file compiled with V8's code cache instead of resolving, reading and compiling
 * 20-odd files (docs/hooks.md has the measured difference).
 *
 * `scripts/bundle.js` (run by `npm run build`/`build:ts`/`prepare`) writes, for each bundle NAME in dist/bundles/:
 * NAME.js (the modules' compiled code, verbatim, each wrapped as a CommonJS function), NAME.js.map (an index source map
 * whose sections are the modules' own maps, so lines map back to lib/), NAME.cache (V8's code cache of NAME.js) and
 * NAME.json (the manifest: each module's dist/ path, size and place in NAME.js, and NAME.js's size).
 *
 * loadBundle(NAME) registers the modules in `require.cache` under their own dist/ file names, not loaded (`loaded`
 * false): a module's body runs on first access to its exports, exactly when `require` would have loaded it from its
 * file, so laziness is unchanged (what `loaded` says is what ran) and
 * there is one instance of each module whether the bundle or `require` of its file loaded it (a module already in
 * the cache is left as it is; a bundled module's `require` of another one uses the cache first).
 *
 * The files are used only when they are fresh: every module's dist/ file holds the code the bundle holds (a file not
 * modified since the bundle was written is taken as is; a newer one is compared), else the plain files are loaded.
 * They are not used with
 * source-mapped stack traces (`--enable-source-maps`: Node maps the plain files, not a vm script), under V8 coverage
 * (NODE_V8_COVERAGE: coverage is of lib/ through the plain files' maps), or with CGMGR_NO_BUNDLE=1. CGMGR_BUNDLE=always
 * uses them with source maps on too (tap turns source maps on in every process it starts: the suites run on the
 * bundles this way, `.ci/run`). A code cache that V8 rejects (another Node version or V8 flags) only costs the
 * compilation.
 */
import { readFileSync, statSync } from 'node:fs';
import type ModuleClass from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

// CommonJS's Module class, as this module's own constructor: `require('node:module')` would load the ES module loader
// too (~0.5 ms).
const Module = module.constructor as typeof ModuleClass;
type Module = ModuleClass;

/** A module's code as the bundle holds it: CommonJS's wrapper function. */
type Factory = (
  this: unknown,
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;

interface Manifest {
  /** Each module: [path under dist/, size in bytes, start and end of its code in NAME.js's text]. */
  files: Array<[string, number, number, number]>;
  /** NAME.js's size: the code cache was made from exactly this file. */
  size: number;
}

/** Bundles asked for, those in use, and the absolute file names of the modules they registered. */
const asked = new Set<string>();
const inUse = new Set<string>();
const registered = new Set<string>();
const scripts = new Map<string, Script>();

/** dist/ (this file is dist/bundle.js). */
const DIST = __dirname;

/** Why a bundle is not used in this process, or undefined when it may be. */
function disabledReason(): string | undefined {
  // Under another module system (Jest's registry, a bundler's runtime) `module` is not Node's: nothing to register in.
  const cjs = Module as unknown as { _cache?: unknown; _nodeModulePaths?: unknown };
  if (typeof Module !== 'function' || cjs._cache !== require.cache || typeof cjs._nodeModulePaths !== 'function') {
    return "not Node's CommonJS loader";
  }
  if (process.env.CGMGR_NO_BUNDLE) return 'CGMGR_NO_BUNDLE is set';
  if (process.env.NODE_V8_COVERAGE) return 'V8 coverage is on';
  if (process.sourceMapsEnabled && process.env.CGMGR_BUNDLE !== 'always') return 'source maps are enabled';
  return undefined;
}

/** What may follow a module's code in its file: the source map comment the bundle leaves out. */
const MAP_COMMENT = /^(\/\/# sourceMappingURL=[^\n]*\n?)?$/;

/**
 * The text of bundle `name` when it is fresh: every module's file holds the code the bundle holds. A file of the size
 * recorded and not modified since the bundle was written is taken as is; a newer one (a `tsc` since, or an install,
 * which writes the files in its own order) is read and compared. Undefined when the bundle is missing or stale.
 */
function freshSource(name: string): string | undefined {
  const file = join(DIST, 'bundles', `${name}.js`);
  const bundle = statSync(file, { throwIfNoEntry: false });
  if (!bundle) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(DIST, 'bundles', `${name}.json`), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.size !== bundle.size || !Array.isArray(manifest.files)) return undefined;
  const source = readFileSync(file, 'utf8');
  for (const entry of manifest.files) {
    if (!Array.isArray(entry) || entry.length !== 4) return undefined;
    const [rel, size, start, end] = entry;
    const path = join(DIST, rel);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || st.size !== size) return undefined;
    if (st.mtimeMs <= bundle.mtimeMs) continue;
    const text = readFileSync(path, 'utf8');
    const code = source.slice(start, end);
    if (!text.startsWith(code) || !MAP_COMMENT.test(text.slice(code.length))) return undefined;
  }
  return source;
}

/**
 * The `require` a bundled module gets: its relative requests were resolved when the bundle was built (`deps`: request
 * -> path under dist/); a bundled one comes from the cache, anything else from Node's `require`.
 */
function requireFor(mod: Module, deps: Record<string, string>): NodeJS.Require {
  const req = ((id: string): unknown => {
    const dep = deps[id];
    if (dep !== undefined) {
      const cached = registered.has(DIST + '/' + dep) ? require.cache[DIST + '/' + dep] : undefined;
      if (cached) return cached.exports; // else taken out of the cache since, or not bundled: Node loads the file
    }
    return mod.require(id);
  }) as NodeJS.Require;
  req.cache = require.cache;
  req.main = require.main;
  return req;
}

/** Puts one bundled module into require.cache, its body to run on first access to its exports. */
function register(filename: string, deps: Record<string, string>, factory: Factory): void {
  if (require.cache[filename]) return; // loaded from its file already: that instance stays the only one
  const mod = new Module(filename, undefined);
  mod.filename = filename;
  // Not loaded until its body has run (Module#loaded, as for a file): `require` of a cached module that is not loaded
  // returns its exports, which runs the body here.
  mod.loaded = false;
  // Bare specifiers resolve from the module's own directory, as for a module loaded from its file (computed when
  // asked: the bundled modules require only built-ins and relative paths).
  Object.defineProperty(mod, 'paths', {
    configurable: true,
    enumerable: true,
    get(): string[] {
      const paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(mod.path);
      Object.defineProperty(mod, 'paths', { value: paths, writable: true, configurable: true, enumerable: true });
      return paths;
    },
  });
  Object.defineProperty(mod, 'exports', {
    configurable: true,
    enumerable: true,
    get(): unknown {
      const exports = {};
      Object.defineProperty(mod, 'exports', { value: exports, writable: true, configurable: true, enumerable: true });
      try {
        factory.call(exports, exports, requireFor(mod, deps), mod, filename, mod.path);
        mod.loaded = true;
      } catch (err) {
        delete require.cache[filename]; // as Node does: a module that threw is loaded afresh next time
        throw err;
      }
      return mod.exports;
    },
  });
  registered.add(filename);
  require.cache[filename] = mod;
}

/**
 * Registers the modules of bundle `name` (dist/bundles/NAME.js) in require.cache, once per process. Returns whether the
 * bundle is in use: false when it is disabled, missing or stale (the modules then load from their own files).
 */
export function loadBundle(name: string): boolean {
  if (asked.has(name)) return bundleInUse(name);
  asked.add(name);
  if (disabledReason() !== undefined) return false;
  const source = freshSource(name);
  if (source === undefined) return false;
  const file = join(DIST, 'bundles', `${name}.js`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(DIST, 'bundles', `${name}.cache`));
  } catch {
    /* no cache: compile */
  }
  let script: Script;
  let list: Array<string | Record<string, string> | Factory>;
  try {
    script = new Script(source, { filename: file, cachedData });
    list = script.runInThisContext() as typeof list;
    if (!Array.isArray(list)) return false;
  } catch {
    return false; // a damaged bundle: the files serve
  }
  for (let i = 0; i + 2 < list.length; i += 3) {
    register(DIST + '/' + (list[i] as string), list[i + 1] as Record<string, string>, list[i + 2] as Factory);
  }
  scripts.set(name, script);
  inUse.add(name);
  return true;
}

/** Whether loadBundle(name) registered the bundle in this process. */
export function bundleInUse(name: string): boolean {
  return inUse.has(name);
}

/**
 * V8's code cache of bundle `name` as this process has compiled it so far (the functions run since included), for
 * scripts/bundle.js; undefined when the bundle is not in use.
 */
export function bundleCodeCache(name: string): Buffer | undefined {
  return scripts.get(name)?.createCachedData();
}

/** Why bundles are not used in this process (an option or environment), or undefined when they may be. */
export { disabledReason as bundleDisabledReason };
