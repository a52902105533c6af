// Opens an eval report (report.html of `millrace eval run`) in headless Chromium and prints, as one
// JSON line, what a reader sees of its summary: for each metric heading, the rows of the table under
// it as rendered text. EvalRunIT compares that with the run's summary.json.
//
// Usage: node tools/report-check/check.mjs REPORT.html [--screenshot OUT.png]
// (--screenshot also writes what Chromium shows, the whole page, as a PNG: the README's picture.)
// Exit 0 with {"title", "tables": [{"metric", "header": [...], "rows": [[...], ...]}], "svg_bars"} on
// stdout; exit 2 when Chromium is missing or will not start, with what to install on stderr.
//
// Chromium is Debian's (`apt-get install chromium`), not a browser Playwright downloads: the tests
// must run on a machine whose network allows only the package registries. It runs offline here:
// every flag below keeps it from reaching out (the report itself is self-contained).
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const executable = process.env.MILLRACE_CHROMIUM || '/usr/bin/chromium';
const report = process.argv[2];
const shotAt = process.argv.indexOf('--screenshot');
const screenshot = shotAt > 0 ? process.argv[shotAt + 1] : null;
if (!report || !existsSync(report)) {
  console.error(`report-check: usage: node check.mjs REPORT.html (got ${report ?? 'nothing'}, which does not exist)`);
  process.exit(1);
}
if (!existsSync(executable)) {
  console.error(`report-check: Chromium is not installed at ${executable}: install Debian's chromium`
    + ' (apt-get install -y chromium chromium-driver), or set MILLRACE_CHROMIUM to a Chromium binary');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'millrace-report-check-'));
let browser;
try {
  // A persistent context on a fresh, throw-away profile directory: Playwright passes it to Chromium
  // as --user-data-dir (it refuses that flag in args), so nothing of an earlier run is reused.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
} catch (e) {
  console.error(`report-check: Chromium at ${executable} did not start: ${e.message.split('\n')[0]}`
    + ' (install Debian\'s chromium: apt-get install -y chromium chromium-driver)');
  rmSync(profile, { recursive: true, force: true });
  process.exit(2);
}
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  // The report must not fetch anything: fail on any request that is not the file itself.
  const fetched = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) fetched.push(r.url()); });
  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });
  const seen = await page.evaluate(() => {
    const tables = [];
    for (const table of document.querySelectorAll('table.summary')) {
      let heading = table.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      const rows = [...table.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.innerText.trim()));
      // Only what is displayed counts: a table hidden by CSS is not "shown".
      const box = table.getBoundingClientRect();
      tables.push({ metric: heading ? heading.innerText.trim() : null, visible: box.width > 0 && box.height > 0,
        header: rows[0] ?? [], rows: rows.slice(1) });
    }
    return { title: document.title, tables, svg_bars: document.querySelectorAll('svg rect title').length };
  });
  seen.fetched = fetched;
  if (screenshot) {
    await page.setViewportSize({ width: 1100, height: 800 });
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
