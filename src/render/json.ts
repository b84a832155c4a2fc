/** The JSON report: the result model as it is (see src/report.ts for the versioning rule). */
import type { Report } from '../report.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
