'use strict';
// Runtimes that are not: a unix socket that is no CRI server (it closes every connection), one that accepts and
// never answers (a hung runtime), no socket at all, and endpoints that are not unix sockets. Each gives a clear error
// or one warning; the collector keeps sweeping with `id` only.
const t = require('tap');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { CriClient, createKubernetesCollector, resolveRuntimeEndpoint } = require('../../dist');
const { waitFor } = require('../helpers/wait');

let skip;
try {
  require.resolve('@grpc/grpc-js');
} catch {
  skip = 'the optional dependency @grpc/grpc-js is not installed';
}

function server(t, onConn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-badcri-'));
  const sock = path.join(dir, 'cri.sock');
  const conns = new Set();
  const srv = net.createServer((c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
    c.on('error', () => undefined);
    onConn(c);
  });
  t.teardown(() => new Promise((resolve) => {
    for (const c of conns) c.destroy();
    srv.close(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve();
    });
  }));
  return new Promise((resolve) => srv.listen(sock, () => resolve(`unix://${sock}`)));
}

t.test('a socket that is not a CRI server', { skip }, async (t) => {
  const ep = await server(t, (c) => c.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const client = new CriClient(ep, { timeoutMs: 1500 });
  t.teardown(() => client.close());
  await t.rejects(client.listContainers(), { code: 'ERR_CRI', message: /ListContainers at unix:/ }, 'a clear CRI error');
});

t.test('a runtime that hangs: the call ends at its deadline; sweeps do not wait', { skip }, async (t) => {
  const ep = await server(t, () => undefined); // accepts, never answers
  const client = new CriClient(ep, { timeoutMs: 300 });
  t.teardown(() => client.close());
  await t.rejects(client.version(), { code: 'ERR_CRI', grpcCode: 'DEADLINE_EXCEEDED' }, 'DEADLINE_EXCEEDED');
  const warnings = [];
  const c = createKubernetesCollector({ runtimeEndpoint: ep, timeoutMs: 300, oomEvents: false, roots: ['/'], searchDepth: 1 });
  t.teardown(() => c.close());
  c.on('warning', (e) => warnings.push(e.message));
  const start = Date.now();
  await c.collectAsync();
  t.ok(Date.now() - start < 5000, 'a sweep does not wait for the runtime');
  const deadline = Date.now() + 10000;
  while (warnings.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.equal(warnings.length, 1, 'one warning');
  t.match(warnings[0], /container runtime unreachable/, warnings[0]);
  // Retries happen (back-off from 500 ms) without more warnings: wait for two of them, not a fixed time.
  await waitFor(() => c.names.errors >= 3, 'two retries');
  t.equal(warnings.length, 1, 'still one warning after retries');
  t.ok(c.names.errors >= 3, `retried (${c.names.errors} errors)`);
});

t.test('endpoints', { skip }, async (t) => {
  t.equal(resolveRuntimeEndpoint('/run/x.sock'), 'unix:///run/x.sock');
  t.equal(resolveRuntimeEndpoint('unix:/run/x.sock'), 'unix:///run/x.sock');
  t.equal(resolveRuntimeEndpoint(undefined, { CONTAINER_RUNTIME_ENDPOINT: 'unix:///e.sock' }), 'unix:///e.sock');
  t.match(resolveRuntimeEndpoint(undefined, {}), /^unix:\/\/\/(run\/containerd\/containerd|var\/run\/crio\/crio)\.sock$/);
  for (const bad of ['tcp://127.0.0.1:1', 'relative.sock', '', 'unix://rel']) {
    t.throws(() => resolveRuntimeEndpoint(bad), { code: 'ERR_INVALID_ARG_VALUE' }, JSON.stringify(bad));
  }
});

t.test('require("cgmgr") does not load gRPC', async (t) => {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist'))});
    console.log(Object.keys(require.cache).filter((k) => k.includes('@grpc')).length)`], { encoding: 'utf8' });
  t.equal(r.stdout.trim(), '0', 'no @grpc module in the require cache');
});
