// Node's http2 client for the e2e tests and the benchmark: one HTTP/2 connection to the proxy,
// many CONNECT streams on it, each carrying an HTTP/1.1 GET to an origin. Prints a JSON report.
// Usage: node h2_client.js '{"proxy":"http://127.0.0.1:P","ca":null,"streams":[...]}'
// A stream: {"authority":"127.0.0.1:O","path":"/f1","pause":false}.
'use strict';
const http2 = require('http2');
const fs = require('fs');
const crypto = require('crypto');

const cfg = JSON.parse(process.argv[2]);
const options = { settings: { initialWindowSize: 1 << 20 } };
if (cfg.ca) options.ca = fs.readFileSync(cfg.ca);
const session = http2.connect(cfg.proxy, options);
session.on('error', (e) => finish({ sessionError: String(e) }));
session.on('connect', () => session.setLocalWindowSize(64 << 20));

const started = Date.now();
const results = new Array(cfg.streams.length);
let pending = cfg.streams.filter((s) => !s.pause).length;
let done = false;

function finish(extra) {
    if (done) return;
    done = true;
    const out = Object.assign({ results, seconds: (Date.now() - started) / 1000 }, extra || {});
    process.stdout.write(JSON.stringify(out) + '\n');
    session.destroy();
    process.exit(0);
}

cfg.streams.forEach((s, i) => {
    const r = { status: 0, bytes: 0, body: null, sha256: null, error: null };
    results[i] = r;
    const req = session.request({ ':method': 'CONNECT', ':authority': s.authority });
    const chunks = [];
    req.on('response', (headers) => {
        r.status = headers[':status'];
        if (r.status === 200) {
            req.write(`GET ${s.path} HTTP/1.1\r\nHost: ${s.authority}\r\nConnection: close\r\n\r\n`);
            // Half-closing at once is what a careful client does, but nginx stops sending a
            // static file when its client half-closes (it sends ~18 KiB less of a 4 MiB file,
            // also without any proxy): keepOpen ends our side only after the answer.
            if (!cfg.keepOpen) req.end();
        }
        if (s.pause) req.pause();
    });
    req.on('data', (d) => { r.bytes += d.length; if (!s.pause) chunks.push(d); });
    const settle = (err) => {
        if (r.done) return;
        r.done = true;
        if (err) r.error = String(err);
        const all = Buffer.concat(chunks);
        const at = all.indexOf('\r\n\r\n');
        const body = at >= 0 && r.status === 200 ? all.subarray(at + 4) : all;
        r.head = at >= 0 ? all.subarray(0, at).toString('latin1').split('\r\n')[0] : '';
        r.sha256 = crypto.createHash('sha256').update(body).digest('hex');
        r.bodyBytes = body.length;
        if (body.length < 512) r.body = body.toString('latin1');
        if (!s.pause && --pending === 0) setTimeout(() => finish(), cfg.stalledWaitMs || 0);
    };
    req.on('end', () => { if (cfg.keepOpen) req.end(); settle(); });
    req.on('close', () => settle(req.rstCode ? `reset ${req.rstCode}` : null));
    req.on('error', (e) => settle(e));
});
setTimeout(() => finish({ timedOut: true }), (cfg.timeout || 60) * 1000);
