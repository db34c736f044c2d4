'use strict';
// The code blocks of README.md and docs/*.md, and how each one is run by test/docs/blocks.test.js.
//
// A fence's info string says what the block is:
//   ```js                 a script: CommonJS when it uses require(), an ES module when it uses import (top-level
//                         await only there), run with node in a project where `cgmgr` is this checkout
//   ```js continued       the previous block of the same file goes on (docs/api.md's walk through the API): the
//                         blocks run together as one script
//   ```sh                 run with bash, in the checkout (`node dist/cli.js …`), with `cgmgr` on PATH
//   ```js no-run REASON   shown, not run; REASON is required (e.g. it needs a running systemd as PID 1)
//   ```sh no-run REASON
// Fences without a language (layouts, output) are not code.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

/** The Markdown files whose blocks are tested. */
function docFiles() {
  return ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/**
 * The runnable units of one file: { file, line, lang, code, noRun?: reason, error?: why the fence is malformed }.
 * `continued` blocks are joined onto the unit before them.
 */
function units(file) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const out = [];
  let open;
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(.*)$/.exec(lines[i]);
    if (!fence) {
      if (open) open.body.push(lines[i]);
      continue;
    }
    if (!open) {
      open = { info: fence[1].trim(), line: i + 1, body: [] };
      continue;
    }
    const { info, line, body } = open;
    open = undefined;
    const m = /^(\w+)(?:\s+(.*))?$/.exec(info);
    if (!m) continue; // no language: not code
    const [, lang, rest = ''] = m;
    if (lang !== 'js' && lang !== 'sh') continue;
    const code = body.join('\n') + '\n';
    if (rest.startsWith('no-run')) {
      const reason = rest.slice('no-run'.length).replace(/^:/, '').trim();
      out.push({ file, line, lang, code, noRun: reason || undefined, error: reason ? undefined : 'no-run without a reason' });
    } else if (rest === 'continued') {
      const prev = out[out.length - 1];
      if (!prev || prev.lang !== lang || prev.noRun !== undefined) out.push({ file, line, lang, code, error: '"continued" without a runnable block of the same language before it' });
      else prev.code += code;
    } else if (rest === '') {
      out.push({ file, line, lang, code });
    } else {
      out.push({ file, line, lang, code, error: `unknown fence info "${info}"` });
    }
  }
  return out;
}

/** 'esm' when the script uses import statements, else 'cjs'. */
function moduleSystem(code) {
  return /^\s*import\s[^(]/m.test(code) ? 'esm' : 'cjs';
}

module.exports = { ROOT, docFiles, units, moduleSystem };
