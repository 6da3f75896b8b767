// An HTTP/2 origin over TLS for the e2e tests: a WebSocket echo over RFC 8441 extended CONNECT,
// and a plain GET answered with "ok". Node's http2 server refuses a :protocol stream itself
// when it did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL.
// Usage: node h2_ws_origin.js '{"cert":"...","key":"...","connectProtocol":true}'
// Prints {"port":N} once listening, then one JSON line per event: {"stream":{headers}} for each
// request, {"echoed":N,"closed":true} when a WebSocket stream ends, {"sessionError":"..."}.
'use strict';
const http2 = require('http2');
const fs = require('fs');

const cfg = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

// RFC 6455 §5.2 frames from a client (masked); answers are unmasked with the same payload.
function parseFrames(buf) {
    const frames = [];
    let at = 0;
    for (;;) {
        if (buf.length - at < 2) break;
        const fin = buf[at] & 0x80, opcode = buf[at] & 0x0f;
        const masked = buf[at + 1] & 0x80;
        let n = buf[at + 1] & 0x7f, p = at + 2;
        if (n === 126) {
            if (buf.length - p < 2) break;
            n = buf.readUInt16BE(p); p += 2;
        } else if (n === 127) {
            if (buf.length - p < 8) break;
            n = Number(buf.readBigUInt64BE(p)); p += 8;
        }
        const maskAt = p;
        if (masked) p += 4;
        if (buf.length - p < n) break;
        const payload = Buffer.from(buf.subarray(p, p + n));
        if (masked)
            for (let i = 0; i < n; i++) payload[i] ^= buf[maskAt + (i % 4)];
        frames.push({ fin, opcode, masked: !!masked, payload });
        at = p + n;
    }
    return { frames, rest: buf.subarray(at) };
}

function frame(opcode, payload) {
    const n = payload.length;
    let head;
    if (n < 126) head = Buffer.from([0x80 | opcode, n]);
    else if (n < 65536) { head = Buffer.alloc(4); head[0] = 0x80 | opcode; head[1] = 126; head.writeUInt16BE(n, 2); }
    else { head = Buffer.alloc(10); head[0] = 0x80 | opcode; head[1] = 127; head.writeBigUInt64BE(BigInt(n), 2); }
    return Buffer.concat([head, payload]);
}

const server = http2.createSecureServer({
    cert: fs.readFileSync(cfg.cert),
    key: fs.readFileSync(cfg.key),
    settings: { enableConnectProtocol: !!cfg.connectProtocol },
});
server.on('sessionError', (e) => say({ sessionError: String(e) }));
server.on('session', (session) => {
    session.on('error', (e) => say({ sessionError: String(e) }));
});
server.on('stream', (stream, headers) => {
    const seen = {};
    for (const k of Object.keys(headers)) if (typeof headers[k] === 'string') seen[k] = headers[k];
    say({ stream: seen });
    stream.on('error', () => {});
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end('ok\n');
        return;
    }
    stream.respond({ ':status': 200 });
    let buf = Buffer.alloc(0);
    let echoed = 0, unmasked = 0;
    stream.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const { frames, rest } = parseFrames(buf);
        buf = Buffer.from(rest);
        for (const f of frames) {
            if (!f.masked) unmasked++;
            if (f.opcode === 0x8) { stream.write(frame(0x8, f.payload)); stream.end(); continue; }
            if (f.opcode === 0x9) { stream.write(frame(0xa, f.payload)); continue; }
            if (f.opcode === 0x1 || f.opcode === 0x2) { stream.write(frame(f.opcode, f.payload)); echoed++; }
        }
    });
    stream.on('close', () => say({ echoed, unmasked, closed: true, rstCode: stream.rstCode }));
});
server.listen(0, '127.0.0.1', () => say({ port: server.address().port }));
process.on('SIGTERM', () => process.exit(0));
