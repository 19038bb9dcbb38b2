/** The HTML report's charts take any number of epochs (their range was found by spreading every value). */
import { lineChart } from '../../src/cli/report';

test('a chart of 300,000 epochs', () => {
  const values = Array.from({ length: 300_000 }, (_, i) => 1 / (i + 1));
  const svg = lineChart('loss', [{ name: 'loss', values, color: '#000' }]);
  expect(svg).toMatch(/^<svg/);
  expect(svg).toContain('loss');
});
