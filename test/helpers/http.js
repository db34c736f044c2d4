'use strict';
// HTTP from tests: a scrape asking for gzip, its body unzipped.
const http = require('node:http');
const zlib = require('node:zlib');

/** GETs url with `Accept-Encoding: gzip` (and `headers`): { status, encoding, text } with the body gunzipped. */
function getGzip(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { 'accept-encoding': 'gzip', ...headers }, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, encoding: res.headers['content-encoding'], text: zlib.gunzipSync(Buffer.concat(parts)).toString('utf8') });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

module.exports = { getGzip };
