// Node's ari-client 2.2 (the Asterisk project's JavaScript client) driven the way its README does:
// client.on(type, (event, channel) => ...) per type, channel.on('ChannelStateChange', ...) per channel
// (registered at StasisStart, removed at StasisEnd). REST: client.channels.answer({channelId}).
// Usage: node bench/node/ari_client.js --url http://127.0.0.1:PORT --mode intake|intake-plain|rest [--requests 2000]
'use strict';
const ari = require('ari-client');
const args = require('./args');

const MARKER = 'bench-marker-end';
const CHANNEL_TYPES = ['StasisStart', 'ChannelVarset', 'ChannelStateChange', 'ChannelDtmfReceived',
  'ChannelHangupRequest', 'StasisEnd'];
const PLAYBACK_TYPES = ['PlaybackStarted', 'PlaybackFinished'];
const cpuSeconds = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1e6; };
const version = () => `ari-client ${require('ari-client/package.json').version}, node ${process.version}`;

// --mode intake-plain: per-type handlers only (no per-object handler).
const PLAIN = args.mode === 'intake-plain';

async function intake(client) {
  let n = 0;
  let t0 = 0n;
  let c0 = null;
  let perObject = 0;
  const onState = () => { perObject += 1; };
  const first = () => {
    if (n === 0) { t0 = process.hrtime.bigint(); c0 = process.cpuUsage(); }
    n += 1;
  };
  const onChannel = (event, objs) => {
    first();
    const channel = objs && objs.id === undefined && objs.channel ? objs.channel : objs;
    if (event.type === 'StasisStart') {
      if (!PLAIN) channel.on('ChannelStateChange', onState);
    } else if (event.type === 'StasisEnd') {
      channel.removeListener('ChannelStateChange', onState);
      if (channel.id === MARKER) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        console.log(JSON.stringify({ events: n, seconds, cpu_seconds: cpuSeconds(c0), per_object_calls: perObject,
          version: version() }));
        client.stop();
        process.exit(0);
      }
    }
  };
  for (const t of CHANNEL_TYPES) client.on(t, onChannel);
  for (const t of PLAYBACK_TYPES) client.on(t, () => first());
  client.start('bench');
}

async function rest(client) {
  await client.channels.answer({ channelId: 'warmup' });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < args.requests; i += 1) {
    await client.channels.answer({ channelId: `1795700000.${i % 50}` });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ requests: args.requests, seconds, cpu_seconds: cpuSeconds(c0), version: version() }));
  process.exit(0);
}

ari.connect(args.url, 'asterisk', 'asterisk')
  .then((client) => (args.mode === 'rest' ? rest(client) : intake(client)))
  .catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
