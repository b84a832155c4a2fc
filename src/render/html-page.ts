/**
 * The frame of every static HTML page twoway writes (the run report, the history): inline CSS only,
 * and a Content Security Policy that forbids any load, so a page opened from a mail attachment
 * fetches nothing. `body` is already escaped HTML.
 */
import { escapeHtml as esc } from './html-escape.js';

export function staticPage(title: string, style: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;
}
