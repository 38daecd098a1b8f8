'use strict';
// Tiny `--name value` parser shared by the bench's Node clients.
const out = { mode: 'intake', requests: 2000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
out.requests = Number(out.requests);
module.exports = out;
