// Accessibility audit: axe-core (WCAG 2.0 and 2.1, levels A and AA) on every view of the page at 1280×720 and at a
// 390×844 phone size, and on the head view with a token locked (its tooltip showing): no violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start } from './browser.mjs';

const AXE = readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const VIEWS = ['head', 'model', 'neuron', 'matrix', 'patterns', 'layers', 'headmap'];
let env;
// No Content-Security-Policy: axe-core goes in as an inline script, which the policy refuses (csp.test.mjs checks the page under it).
before(async () => { env = await start({ csp: false }); });
after(async () => { await env?.close(); });

// axe's violations on the page as it is now, one line each: "rule (impact): target — what fails".
async function audit(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ content: AXE });
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  const lines = r.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${(n.failureSummary ?? '').split('\n').slice(1).join(' ').trim()}`));
  return { lines, passed: r.passes.length };
}

async function show(page, view) {
  await page.click(`nav.views [data-view=${view}]`);
  await page.waitForFunction((v) => window.headlight.state.view === v && !/Computing|Fetching/.test(document.querySelector('#view').textContent), view, { timeout: 120000 });
}

for (const [size, viewport] of [['1280×720', { width: 1280, height: 720 }], ['390×844', { width: 390, height: 844 }]]) {
  test(`no WCAG A/AA violations on any view at ${size}`, async () => {
    const page = await openPage(env.browser, env.url, viewport);
    const found = [];
    for (const v of VIEWS) {
      await show(page, v);
      const { lines, passed } = await audit(page);
      assert.ok(passed > 10, `${v}: axe ran ${passed} passing rules`);
      found.push(...lines.map((l) => `${v} view: ${l}`));
    }
    await show(page, 'head');
    await page.click('#view .hl-token-left >> nth=2');  // locks "went": the tooltip shows its weights
    await page.waitForSelector('#view .hl-tooltip:not([style*="display: none"])');
    found.push(...(await audit(page)).lines.map((l) => `head view, token locked: ${l}`));
    assert.deepEqual(found, []);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}
