/**
 * The training report: one self-contained HTML page (no scripts, no external files) with the run's
 * settings, final metrics, SVG line charts of every logged quantity per epoch (training and validation),
 * a confusion matrix for classification, and a few misclassified test images when the inputs are images.
 */
import type { ReportImage } from './report-images';

export interface ReportInput {
  title: string;
  settings: Record<string, string | number>;
  final: Record<string, number>;
  history: Record<string, number[]>;
  confusion?: { classes: string[]; matrix: number[][] };
  // convolutional networks
  /** A few misclassified test images (inline PNG data URIs). */
  misclassified?: ReportImage[];
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (v: number) =>
  Number.isFinite(v)
    ? Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : v.toFixed(4)
    : String(v);

/** An SVG line chart of one or two series over epochs (1-based x axis). */
export function lineChart(title: string, series: { name: string; values: number[]; color: string }[]): string {
  const W = 520,
    H = 260,
    L = 60,
    R = 16,
    T = 30,
    B = 40;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  // Loops, not Math.max(...values): spreading an argument per epoch overflows the stack for long runs.
  let n = 1,
    lo = Infinity,
    hi = -Infinity;
  for (const s of series) n = Math.max(n, s.values.length);
  for (const v of all) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!all.length) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    hi += 0.5;
    lo -= 0.5;
  }
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const paths = series
    .map((s) => {
      const pts = s.values
        .map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : hi).toFixed(1)}`)
        .join(' ');
      const dots = s.values
        .map(
          (v, i) =>
            `<circle cx="${x(i).toFixed(1)}" cy="${y(Number.isFinite(v) ? v : hi).toFixed(1)}" r="2.5" ` +
            `fill="${s.color}"/>`,
        )
        .join('');
      return (
        `<path class="series" data-series="${esc(s.name)}" data-points="${s.values.length}" d="${pts}" ` +
        `fill="none" stroke="${s.color}" stroke-width="2"/>${dots}`
      );
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${L + i * 140}" y="8" width="12" height="12" fill="${s.color}"/><text x="${L + 18 + i * 140}" ` +
        `y="18">${esc(s.name)}</text>`,
    )
    .join('');
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text ` +
        `x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    )
    .join('');
  const xt = Array.from({ length: n }, (_, i) => i)
    .filter((i) => n <= 10 || i % Math.ceil(n / 10) === 0 || i === n - 1)
    .map((i) => `<text x="${x(i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${i + 1}</text>`)
    .join('');
  return (
    `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-size="11" font-family="sans-serif">` +
    `${grid}<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#888"/><line x1="${L}" x2="${W - R}" ` +
    `y1="${H - B}" y2="${H - B}" stroke="#888"/>` +
    `${xt}<text x="${(W + L) / 2}" y="${H - 6}" text-anchor="middle">epoch</text>${legend}${paths}</svg></figure>`
  );
}

export function renderReport(r: ReportInput): string {
  const keys = Object.keys(r.history).filter((k) => !k.startsWith('val_'));
  const charts = keys
    .map((k) => {
      const series = [{ name: `training ${k}`, values: r.history[k], color: '#1f77b4' }];
      if (r.history[`val_${k}`])
        series.push({ name: `validation ${k}`, values: r.history[`val_${k}`], color: '#ff7f0e' });
      return lineChart(k, series);
    })
    .join('\n');
  const table = (o: Record<string, string | number>) =>
    `<table>${Object.entries(o)
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'number' ? fmt(v) : v)}</td></tr>`)
      .join('')}</table>`;
  let confusion = '';
  if (r.confusion) {
    const { classes, matrix } = r.confusion;
    const max = Math.max(1, ...matrix.flat());
    confusion =
      `<h2>Confusion matrix (test set; rows: true class, columns: predicted)</h2><table ` +
      `class="confusion"><tr><th></th>${classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` +
      matrix
        .map(
          (row, i) =>
            `<tr><th>${esc(classes[i])}</th>` +
            row.map((v) => `<td style="background: rgba(31,119,180,${(v / max).toFixed(3)})">${v}</td>`).join('') +
            '</tr>',
        )
        .join('') +
      '</table>';
  }
  let pictures = '';
  if (r.misclassified?.length) {
    pictures =
      `<h2>Misclassified test images (the first ${r.misclassified.length})</h2><div class="pictures">` +
      r.misclassified
        .filter((m) => /^data:image\/png;base64,[A-Za-z0-9+/=]+$/.test(m.src))
        .map(
          (m) =>
            `<figure><img src="${m.src}" alt="${esc(m.caption)}"><figcaption>${esc(m.caption)}</figcaption></figure>`,
        )
        .join('') +
      '</div>';
  }
  return `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(r.title)}</title><style>
body{font-family:sans-serif;margin:24px;color:#222} table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f4f4f4} figure{display:inline-block;margin:8px} figcaption{font-weight:bold}
.confusion td{min-width:28px}
.pictures img{width:84px;image-rendering:pixelated;border:1px solid #ccc}
.pictures figcaption{font-weight:normal;font-size:12px;max-width:120px}
</style></head><body><h1>${esc(r.title)}</h1><h2>Settings</h2>${table(r.settings)}
<h2>Final metrics</h2>${table(r.final)}<h2>Per epoch</h2>${charts}${confusion}${pictures}</body></html>\n`;
}

export function confusionMatrix(pred: Int32Array, truth: Int32Array, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < pred.length; i++) if (truth[i] >= 0 && truth[i] < k) m[truth[i]][pred[i]]++;
  return m;
}
