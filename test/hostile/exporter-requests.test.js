'use strict';
// Issue 15 item 1: no request ends the exporter. Raw bytes over real TCP on loopback to createMetricsServer (a
// recorded v2 tree): invalid request targets (`//`, `http://[`, `//x:99999/metrics`, …) get 400, any method, target
// or header size gets an answer (never an uncaught throw), slow and idle clients are cut off, scrapes above
// maxRequests get 503, connections above maxConnections are closed, and an empty host means loopback. After each
// case the same server still answers GET /metrics.
const t = require('tap');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { StatsCollector } = require('../../dist/collector');
const { createMetricsServer, targetPath } = require('../../dist/exporter');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';

/** Sends raw bytes; resolves with everything the server sent until it closed the connection (or timeoutMs passed:
 * then `timedOut`). */
function raw(port, bytes, { timeoutMs = 5000, end = false } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let timer;
    const finish = (timedOut) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data, timedOut, status: /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] });
    };
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('close', () => finish(false));
    s.on('error', () => finish(false));
    timer = setTimeout(() => finish(true), timeoutMs);
    s.write(bytes);
    if (end) s.end();
  });
}

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
  });
}

async function waitFor(cond, what, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function server(t, options = {}) {
  const srv = await createMetricsServer({ port: 0, root: V2, paths: [V2_POD], ...options });
  t.teardown(() => srv.close());
  return srv;
}

async function stillServes(t, srv) {
  const r = await get(srv.url);
  t.equal(r.status, 200, 'the server still answers GET /metrics');
  t.match(r.body, /^container_memory_usage_bytes\{/m);
}

t.test('targetPath', async (t) => {
  t.equal(targetPath('/metrics'), '/metrics');
  t.equal(targetPath('/metrics?x=1#y'), '/metrics');
  t.equal(targetPath('http://h:9101/metrics?x'), '/metrics', 'absolute-form');
  for (const bad of ['//', '//x:99999/metrics', 'http://[', 'http://x:99999/metrics', '*', 'metrics', '', undefined, 'ftp://x/metrics']) {
    t.equal(targetPath(bad), undefined, `${JSON.stringify(bad)} is not a valid target`);
  }
});

t.test('unparseable and odd targets: 400, never a crash', async (t) => {
  const srv = await server(t);
  for (const target of ['//', 'http://[', '//x:99999/metrics', 'http://x:99999/metrics', '*', 'metrics', '//metrics', 'http://[::1/metrics']) {
    const r = await raw(srv.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(r.status, '400', `GET ${target}: 400`);
  }
  const abs = await raw(srv.port, `GET http://anything:1/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  t.equal(abs.status, '200', 'a valid absolute-form target is served');
  const enc = await raw(srv.port, 'GET /%2e%2e/%ff%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(enc.status, '404', 'percent-encoded junk is just another path');
  await stillServes(t, srv);
});

t.test('any method, header size or garbage gets an answer', async (t) => {
  const srv = await server(t);
  const cases = [
    ['unknown method', 'FROB /metrics HTTP/1.1\r\nHost: x\r\n\r\n', ['400']],
    ['a method Node knows, on /metrics', 'PROPFIND /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', ['405']],
    ['DELETE elsewhere', 'DELETE /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', ['404']],
    ['a 64 KiB method', `${'A'.repeat(65536)} /metrics HTTP/1.1\r\n\r\n`, ['400', '431']],
    ['a 100 KiB target', `GET /${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, ['400', '431']],
    ['a 100 KiB header', `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\n\r\n`, ['431']],
    ['10,000 headers', `GET /metrics HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(10000)}\r\n`, ['431']],
    ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), ['400']],
    ['a bare LF request line with NUL', 'GET /\0metrics HTTP/1.1\n\n', ['400']],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', ['400', '505']],
  ];
  for (const [what, bytes, statuses] of cases) {
    const r = await raw(srv.port, bytes);
    t.notOk(r.timedOut, `${what}: the server answered and closed`);
    t.ok(statuses.includes(r.status), `${what}: ${r.status} is one of ${statuses}`);
  }
  const piped = await raw(srv.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET // HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.notOk(piped.timedOut, 'pipelined: a scrape then a bad target: answered and closed');
  t.equal(piped.status, '200', 'the first response comes first');
  const second = piped.data.indexOf('HTTP/1.1 400');
  t.ok(second > 0, 'then a 400 for the bad target');
  t.match(piped.data.slice(0, second), /container_memory_usage_bytes\{/, 'the first response is whole before it');
  const garbage = await raw(srv.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage\r\n\r\n');
  t.notOk(garbage.timedOut, 'a scrape then garbage on the same connection: closed (no status line written into a response)');
  t.notMatch(garbage.data, /^HTTP\/1\.1 400/, 'no 400 ahead of the pending response');
  const half = await raw(srv.port, 'GET /metr', { end: true });
  t.notOk(half.timedOut, 'a request cut off mid-line: closed');
  await stillServes(t, srv);
});

t.test('slow and idle clients are cut off', async (t) => {
  const srv = await server(t, { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 400 });
  const slow = await raw(srv.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 8000 });
  t.notOk(slow.timedOut, 'headers never finished: the connection is closed');
  t.ok(slow.status === undefined || slow.status === '408', `408 or a plain close (${slow.status})`);
  const body = await raw(srv.port, 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', { timeoutMs: 8000 });
  t.notOk(body.timedOut, 'a request body that never finishes: the connection is closed (request or idle timeout)');
  const silent = await raw(srv.port, '', { timeoutMs: 8000 });
  t.notOk(silent.timedOut, 'a client that connects and says nothing: closed');
  await stillServes(t, srv);
});

t.test('more scrapes at once than maxRequests: 503; the rest are served', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD);
  let open;
  const gate = new Promise((r) => { open = r; });
  const orig = c.collectAsync.bind(c);
  c.collectAsync = async (...a) => { await gate; return orig(...a); };
  const srv = await server(t, { collector: c, maxRequests: 2 });
  const first = [get(srv.url), get(srv.url)];
  await waitFor(() => srv.counts.inFlight === 2, 'two scrapes in flight');
  const refused = await Promise.all([get(srv.url), get(srv.url), get(srv.url)]);
  t.same(refused.map((r) => r.status), [503, 503, 503], 'the third, fourth and fifth: 503');
  t.equal(refused[0].headers['retry-after'], '1');
  t.equal(srv.counts.refused, 3);
  open();
  const served = await Promise.all(first);
  t.same(served.map((r) => r.status), [200, 200]);
  t.equal(served[0].body, served[1].body);
  await waitFor(() => srv.counts.inFlight === 0, 'nothing in flight');
  await stillServes(t, srv);
});

t.test('connections above maxConnections are closed on arrival', async (t) => {
  const srv = await server(t, { maxConnections: 3 });
  const sockets = [];
  let closed = 0;
  for (let i = 0; i < 6; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('close', () => { closed++; });
    s.on('error', () => {});
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
  }
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await waitFor(() => closed >= 3, 'three connections closed by the server');
  t.equal(closed, 3, 'exactly the three above the cap');
  sockets.forEach((s) => s.destroy());
  await waitFor(() => closed === 6, 'all closed');
  await stillServes(t, srv);
});

t.test("host '' (and no host) is loopback; a bad host type is refused", async (t) => {
  const a = await server(t, { host: '' });
  t.match(a.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, "host: '' listens on 127.0.0.1");
  const b = await server(t);
  t.match(b.url, /^http:\/\/127\.0\.0\.1:/);
  await t.rejects(createMetricsServer({ port: 0, root: V2, host: 5 }), { code: 'ERR_INVALID_ARG_VALUE' });
  for (const [k, v] of [['maxRequests', 0], ['maxConnections', -1], ['headersTimeoutMs', 1.5], ['maxAgeMs', -1], ['maxAgeMs', NaN],
    ['gzipLevel', 0], ['path', '//m'], ['requestTimeoutMs', 10], ['enable', ['nope']], ['labelDeny', ['id']]]) {
    await t.rejects(createMetricsServer({ port: 0, root: V2, [k]: v }), { code: 'ERR_INVALID_ARG_VALUE' }, `${k}: ${String(v)}`);
  }
});
