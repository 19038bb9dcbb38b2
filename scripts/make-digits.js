#!/usr/bin/env node
// Regenerates data/digits-*.idx.gz, the 10,000 MNIST digits bp.data.digits() ships, from the `mnist`
// devDependency (10 JSON files of pixel values k/255 rounded to 3 decimals). Stored as uint8 k, the
// loader rebuilds exactly those values (Math.round(k / 255 * 1000) / 1000), so results match the package's.
// Usage: node scripts/make-digits.js   (development only; the output files are committed)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { encodeIdx } = require('../dist/data/idx');

const images = [];
const labels = [];
for (let d = 0; d < 10; d++) {
  const values = require(`mnist/src/digits/${d}.json`).data;
  for (let i = 0; i < values.length; i += 784) {
    const k = Uint8Array.from(values.slice(i, i + 784), (v) => Math.round(v * 255));
    for (let j = 0; j < 784; j++) {
      if (Math.round((k[j] / 255) * 1000) / 1000 !== values[i + j])
        throw new Error(`pixel ${i + j} of digit ${d} does not round-trip`);
    }
    images.push(k);
    labels.push(d);
  }
}
const pixels = new Uint8Array(images.length * 784);
images.forEach((img, i) => pixels.set(img, i * 784));
const out = path.join(__dirname, '..', 'data');
fs.mkdirSync(out, { recursive: true });
const gz = (bytes) => zlib.gzipSync(bytes, { level: 9 });
fs.writeFileSync(path.join(out, 'digits-images.idx.gz'), gz(encodeIdx([images.length, 28, 28], pixels, 'uint8')));
fs.writeFileSync(
  path.join(out, 'digits-labels.idx.gz'),
  gz(encodeIdx([labels.length], Uint8Array.from(labels), 'uint8')),
);
console.log(`wrote ${images.length} digits to ${out}`);
