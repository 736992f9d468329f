// The README's pictures of the page as scenes: each a link to the page's state (web/page/share.js's query) and what to
// wait for or point at. The e2e tests show them and picture them into build/screenshots/; tools/screenshots.mjs
// pictures the same scenes into docs/screenshots/.
import { goTo, openPage, screenshotPath } from './browser.mjs';

const DESKTOP = { width: 1280, height: 900 };

/** name (docs/screenshots/NAME.png) → {query, viewport (DESKTOP if absent), fullPage (true if absent), ready(page)}. */
export const SCENES = {
  'head-view': { query: '' },  // the page as it starts: the built-in model on Vig's pair, layer 0, every head
  'model-view': { query: 'view=model&layer=2&head=1' },
  'neuron-view': { query: 'view=neuron&layer=3&head=1&token=2' },  // token 2: "went"
  'matrix-view': {
    query: 'view=matrix&layer=3&head=1',
    ready: async (page) => {  // pointing at "went" → "store" (row 2, column 5): the tooltip and the crosshair
      const c = await page.evaluate(() => window.headlight.view.cellCenter(2, 5));
      await page.mouse.move(c.x, c.y);
      await page.waitForFunction(() => /went → store/.test(document.querySelector('#view').textContent));
    },
  },
  // The analyses draw once their run has the per-head statistics (the head map: over the built-in sample too).
  patterns: { query: 'view=patterns', ready: (page) => page.waitForSelector('#view .hl-pattern') },
  'layer-charts': { query: 'view=layers', ready: (page) => page.waitForSelector('#view svg.hl-layers-chart') },
  'head-map': { query: 'view=headmap',
    ready: (page) => page.waitForSelector('#view circle.hl-headmap-point', { timeout: 120000 }) },
  // The syntactic-head table over the whole treebank (computed in the Worker: seconds), the obj relation picked.
  syntax: { query: 'view=syntax&relation=obj',
    ready: (page) => page.waitForSelector('#view .hl-syntax-table', { timeout: 300000 }) },
  rollout: { query: 'a=The+cat+sat+on+the+mat+because+it+was+warm.&view=rollout&layer=3',
    ready: (page) => page.waitForSelector('#view .hl-rollout-lines line', { state: 'attached' }) },
  phone: { query: '', viewport: { width: 390, height: 844 }, fullPage: false },
};

function scene(name) {
  if (!SCENES[name]) throw new Error(`no scene ${name} (scenes: ${Object.keys(SCENES).join(', ')})`);
  return SCENES[name];
}
const link = (url, name) => (scene(name).query ? `${url}?${scene(name).query}` : url);

/** A new page (openPage's, with page.errors) at the page's url showing scene `name`. */
export async function openScene(browser, url, name) {
  const page = await openPage(browser, link(url, name), scene(name).viewport ?? DESKTOP);
  await scene(name).ready?.(page);
  return page;
}

/** Turns an open page to scene `name`: its viewport, its link loaded, the pointer out of the way, then its ready(). */
export async function showScene(page, url, name) {
  await page.setViewportSize(scene(name).viewport ?? DESKTOP);
  await page.mouse.move(0, 0);
  await goTo(page, link(url, name));
  await scene(name).ready?.(page);
}

/** Pictures a page showing scene `name` into dir/NAME.png (build/screenshots/ unless told). */
export async function shootScene(page, name, dir = undefined) {
  await page.screenshot({ path: screenshotPath(name, dir), fullPage: scene(name).fullPage ?? true });
}
