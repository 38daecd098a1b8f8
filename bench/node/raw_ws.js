// Node's raw ceiling: the `ws` package + JSON.parse + a per-type and per-channel handler map.
// Usage: node bench/node/raw_ws.js --url http://127.0.0.1:PORT [--mode intake]
'use strict';
const WebSocket = require('ws');
const args = require('./args');

const MARKER = 'bench-marker-end';
// --mode intake-plain: per-type handlers only (no per-channel handler map).
const PLAIN = args.mode === 'intake-plain';

function intake(url) {
  const counts = {};
  const perChannel = new Map();
  let perObject = 0;
  let n = 0;
  let t0 = 0;
  let c0 = null;
  const onState = () => { perObject += 1; };
  const count = (ev) => { counts[ev.type] = (counts[ev.type] || 0) + 1; };
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ari/events?app=bench&api_key=asterisk:asterisk',
    { perMessageDeflate: false });
  const handlers = {
    StasisStart: (ev) => { count(ev); if (!PLAIN) perChannel.set(ev.channel.id, onState); },
    StasisEnd: (ev) => {
      count(ev);
      perChannel.delete(ev.channel.id);
      if (ev.channel.id === MARKER) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu = process.cpuUsage(c0);
        const cpu_seconds = (cpu.user + cpu.system) / 1e6;
        console.log(JSON.stringify({ events: n, seconds, cpu_seconds, per_object_calls: perObject, by_type: counts,
          version: `ws ${require('ws/package.json').version}, JSON.parse, node ${process.version}` }));
        ws.terminate();
      }
    },
  };
  ws.on('message', (data) => {
    if (n === 0) { t0 = process.hrtime.bigint(); c0 = process.cpuUsage(); }
    n += 1;
    const ev = JSON.parse(data);
    (handlers[ev.type] || count)(ev);
    const ch = ev.channel;
    if (ch !== undefined) {
      const h = perChannel.get(ch.id);
      if (h !== undefined) h(ev);
    }
  });
  ws.on('error', (e) => { console.error(e); process.exit(1); });
}

intake(args.url);
