/**
 * A preload (`NODE_OPTIONS=--require .../fs-hook.js`) for crash and write-volume tests of worker processes. It
 * runs in every thread of the process (Node preloads workers too) and reads BP_TEST_FS_HOOK, a JSON object:
 *
 * - `kill: { file, nth, when }`: SIGKILLs the whole process at the nth rename onto a file named `file` (counted
 *   per thread), `when` 'before' or 'after' the rename — a crash at an exact point of a save;
 * - `count: { match, log }`: appends to `log` the bytes of every write to a file whose name contains `match`.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const spec = process.env.BP_TEST_FS_HOOK ? JSON.parse(process.env.BP_TEST_FS_HOOK) : {};

if (spec.kill) {
  const { file, nth, when } = spec.kill;
  const rename = fs.renameSync;
  let seen = 0;
  fs.renameSync = function (from, to) {
    const hit = path.basename(String(to)) === file && ++seen === nth;
    if (hit && when === 'before') process.kill(process.pid, 'SIGKILL');
    const r = rename.apply(this, arguments);
    if (hit && when === 'after') process.kill(process.pid, 'SIGKILL');
    return r;
  };
}

if (spec.count) {
  const { match, log } = spec.count;
  const open = fs.openSync;
  const write = fs.writeSync;
  const append = fs.appendFileSync;
  const watched = new Set();
  fs.openSync = function (p) {
    const fd = open.apply(this, arguments);
    if (String(p).includes(match)) watched.add(fd);
    else watched.delete(fd);
    return fd;
  };
  fs.writeSync = function (fd) {
    const n = write.apply(this, arguments);
    if (watched.has(fd)) append(log, `${n}\n`);
    return n;
  };
}
