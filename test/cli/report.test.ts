/** The HTML report's charts take any number of epochs (their range was found by spreading every value). */
import { lineChart } from '../../src/cli/report';

test('a chart of 300,000 epochs', () => {
  const values = Array.from({ length: 300_000 }, (_, i) => 1 / (i + 1));
  const svg = lineChart('loss', [{ name: 'loss', values, color: '#000' }]);
  // Booleans, not the string: a failure would print megabytes of SVG.
  expect(svg.startsWith('<figure><figcaption>loss</figcaption><svg')).toBe(true);
  expect(svg.includes('data-points="300000"')).toBe(true);
});
