'use strict';
// Waiting on a condition instead of sleeping a fixed time: on a busy machine a fixed sleep is either too short (the
// test fails for no reason) or longer than needed. A negative check ("X did not happen") needs a barrier: a
// condition that proves X would have happened by now (the same event seen by a probe of the test's own, say).

/**
 * Resolves once `cond()` (sync or async) is truthy, polled every `intervalMs`; rejects with an Error naming `what`
 * after `timeoutMs`.
 */
async function waitFor(cond, what, { timeoutMs = 10000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { waitFor };
