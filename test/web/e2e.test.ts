/**
 * End-to-end test of the web app: builds it (Vite) when dist/web is missing or older than src/web, simulates
 * the tiny demo dataset, starts the real server on 127.0.0.1 and drives Debian's Chromium through
 * playwright-core: the plate view, the site viewer and the competition. Screenshots go to
 * test-artifacts/e2e/. Skipped (with the reason) when /usr/bin/chromium or the server module is absent;
 * `.ci/browser.sh` installs Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT, tempDir } from '../helpers.js';
import {
  CHROMIUM,
  WEB_DIR,
  SERVER_MODULE,
  ARTIFACTS,
  USED_WELLS,
  ServerModule,
  buildWeb,
  makeDataset,
  WellRow,
  RUN,
  makeRun,
  imagePixelsHash,
  wellColors,
  waitForComposite,
  CHROMIUM_SKIP,
} from './browser.js';

test('web app end to end: plate view, site viewer, competition', {
  timeout: 90_000,
  skip: CHROMIUM_SKIP,
}, async (t) => {
  if (!fs.existsSync(SERVER_MODULE))
    return t.skip(`${path.relative(REPO_ROOT, SERVER_MODULE)} is absent: the server (src/server) is not built yet`);

  const [, datasetDir] = await Promise.all([buildWeb(), makeDataset()]);
  const { createServer } = (await import(pathToFileURL(SERVER_MODULE).href)) as ServerModule;
  const runsDir = tempDir('phenomap-e2e-runs-');
  const app = await createServer({
    datasetDir,
    webDir: WEB_DIR,
    runsDir,
    db: path.join(tempDir('phenomap-e2e-db-'), 'competition.sqlite'),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const base = new URL(address).origin;
  t.after(() => app.close());

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(tempDir('phenomap-e2e-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  t.after(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text()))
      pageErrors.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith('data:') && !request.url().startsWith('blob:'))
      foreignRequests.push(request.url());
  });
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  await t.test('plate view: 308 used wells, colouring by a field changes colours', async () => {
    await page.goto(`${base}/#/plate`);
    await page.waitForSelector('[data-testid="legend"]', { timeout: 20_000 });
    await page.waitForSelector('.plate-grid[data-wells-loaded="true"]', { timeout: 20_000 });
    assert.equal(await page.locator('[data-testid="well"][data-used="true"]').count(), USED_WELLS);
    assert.equal(await page.locator('[data-testid="well"][data-used="false"]').count(), 16 * 24 - USED_WELLS);
    const withData = await page.locator('button.well:not(.no-data)').count();
    assert.ok(withData > 0 && withData <= USED_WELLS, `wells with sites: ${withData}`);
    const byWellType = await wellColors(page);
    assert.ok(new Set(byWellType).size >= 2, 'well types give at least two colours (and the no-value grey)');
    await shot('plate-well-type');

    await page.selectOption('#plate-field', 'sirna_id');
    await page.waitForFunction(
      (before) => {
        const now = [...document.querySelectorAll('button[data-testid="well"]')].map(
          (e) => getComputedStyle(e).backgroundColor,
        );
        return now.some((color, i) => color !== before[i]);
      },
      byWellType,
      { timeout: 10_000 },
    );
    const bySirna = await wellColors(page);
    assert.notDeepEqual(bySirna, byWellType);
    assert.ok(new Set(bySirna).size > new Set(byWellType).size, 'siRNA ids give more colours than well types');
    assert.match(page.url(), /field=sirna_id/);

    // hover shows the tooltip of the well
    const dataWell = page.locator('button.well:not(.no-data)').first();
    const wellName = await dataWell.getAttribute('data-well');
    await dataWell.hover();
    const tooltip = page.locator('[data-testid="well-tooltip"]');
    await tooltip.waitFor({ timeout: 5_000 });
    assert.match((await tooltip.textContent()) ?? '', new RegExp(wellName!));
    await shot('plate-sirna-id-hover');

    // keyboard: the focused well moves with the arrow keys and Enter opens it
    await page.locator('button.well[data-well="B02"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-well')), 'C03');
    await page.keyboard.press('Enter');
    await page.waitForURL(/well=C03/);
    assert.match((await page.locator('[data-testid="well-panel"] h2').textContent()) ?? '', /C03/);
  });

  await t.test('site viewer: toggling a channel off changes the composite', async () => {
    await page.locator('button.well:not(.no-data)').first().click();
    await page.locator('[data-testid="well-panel"]').waitFor();
    await page.locator('[data-testid="site-link"]').first().click();
    await page.waitForURL(/#\/site\//);
    const defaultUrl = await waitForComposite(page);
    assert.match(
      defaultUrl,
      /\/api\/sites\/[^/]+\/composite\.png$/,
      'the default view asks for the parameterless composite (= phenomap rgb)',
    );
    const before = await imagePixelsHash(page);
    assert.equal(before.width, 512);
    await shot('site-default');

    await page.locator('[data-testid="channel-1-toggle"]').uncheck();
    const offUrl = await waitForComposite(page, defaultUrl);
    assert.match(offUrl, /composite\.png\?channels=2,3,4,5,6$/);
    const after = await imagePixelsHash(page);
    assert.notEqual(after.hash, before.hash, 'pixels differ without w1');
    await shot('site-w1-off');

    // zoom with the wheel, then reset
    const viewport = page.locator('[data-testid="zoom-viewport"]');
    await viewport.hover();
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(() =>
      /scale\((?!1\))/.test(document.querySelector<HTMLElement>('[data-testid="zoom-content"]')!.style.transform),
    );
    await shot('site-zoomed');
    await page.getByRole('button', { name: 'Reset view' }).click();
    assert.match((await page.locator('[data-testid="zoom-content"]').getAttribute('style')) ?? '', /scale\(1\)/);
    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    assert.equal(await waitForComposite(page, offUrl), defaultUrl);

    // colour and contrast controls map to the endpoint's colors and ranges parameters
    await page.locator('[data-testid="channel-2"] input[type="color"]').fill('#ff8800');
    await page.locator('#channel-3-high').fill('100');
    const customUrl = await waitForComposite(page, defaultUrl);
    assert.match(customUrl, /composite\.png\?colors=2:ff8800&ranges=3:0-100$/);
    assert.notEqual((await imagePixelsHash(page)).hash, before.hash);
    await shot('site-custom');
    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    await waitForComposite(page, customUrl);
  });

  await t.test(
    'competition: a valid submission is scored and ranked, an invalid one shows the server message',
    async () => {
      const response = await fetch(`${base}/api/wells?dataset=test&wellType=treatment`);
      assert.equal(response.status, 200);
      const testWells = (await response.json()) as { wellId: string; sirnaId: number | null }[];
      assert.ok(testWells.length > 0, 'the dataset has test treatment wells');
      const valid = `${['id_code,sirna', ...testWells.map((w) => `${w.wellId},${w.sirnaId ?? 0}`)].join('\n')}\n`;

      await page.goto(`${base}/#/leaderboard`);
      const team = `e2e-team-${process.pid}`;
      await page.fill('#team-name', team);
      await page.getByRole('button', { name: 'Register' }).click();
      const token = (await page.locator('[data-testid="token-value"]').textContent())?.trim();
      assert.ok(token && token.length >= 16, 'the token is shown');
      assert.equal(await page.inputValue('#submit-token'), token, 'the token fills the submission form');

      await page.setInputFiles('#submit-file', {
        name: 'submission.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(valid),
      });
      await page.getByRole('button', { name: 'Submit' }).click();
      const score = page.locator('[data-testid="submission-score"]');
      await score.waitFor({ timeout: 15_000 });
      const scoreText = (await score.textContent())!.trim();
      assert.match(scoreText, /^\d\.\d{5}$/);
      const row = page.locator('[data-testid="leaderboard-row"]', { hasText: team });
      await row.waitFor({ timeout: 10_000 });
      assert.match((await row.textContent())!, new RegExp(scoreText.replace('.', '\\.')));
      await shot('leaderboard-scored');

      const invalid = 'id,prediction\nHEPG2-01_1_B02,12\n';
      await page.setInputFiles('#submit-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(invalid) });
      const [serverResponse] = await Promise.all([
        page.waitForResponse(
          (r) => r.request().method() === 'POST' && r.url().endsWith('/api/competition/submissions'),
        ),
        page.getByRole('button', { name: 'Submit' }).click(),
      ]);
      assert.equal(serverResponse.status(), 400);
      const { error } = (await serverResponse.json()) as { error: string };
      const shown = page.locator('[data-testid="submission-error"]');
      await shown.waitFor();
      assert.equal(await shown.textContent(), error, 'the exact server message');
      await shot('leaderboard-invalid');
    },
  );

  await t.test('map and reports views without runs show their empty states', async () => {
    await page.goto(`${base}/#/map`);
    await page.locator('.status-empty').first().waitFor({ timeout: 10_000 });
    assert.match((await page.locator('.status-empty').first().textContent()) ?? '', /No run with profiles/);
    await page.goto(`${base}/#/reports`);
    await page.locator('.status-empty').first().waitFor({ timeout: 10_000 });
    await shot('reports-empty');
  });

  const wells = (await (await fetch(`${base}/api/wells`)).json()) as WellRow[];
  makeRun(runsDir, wells);
  const firstPlate = wells[0];

  await t.test('plate view coloured by a feature of a run: cell count, then a typed feature name', async () => {
    await page.goto(
      `${base}/#/plate?experiment=${firstPlate.experiment}&plate=${firstPlate.plate}&field=cell_count&run=${RUN}`,
    );
    await page.locator('[data-testid="legend"] .gradient').waitFor({ timeout: 15_000 });
    const counts = await wellColors(page);
    assert.ok(new Set(counts).size >= 3, 'cell counts give a colour ramp');
    await shot('plate-cell-count');
    await page.selectOption('#plate-field', '__feature');
    await page.fill('#plate-feature', 'Nuclei_AreaShape_Area');
    await page.waitForURL(/field=Nuclei_AreaShape_Area/, { timeout: 10_000 });
    await page.waitForFunction(
      (before) =>
        [...document.querySelectorAll('button[data-testid="well"]')].some(
          (e, i) => getComputedStyle(e).backgroundColor !== before[i],
        ),
      counts,
      { timeout: 10_000 },
    );
    assert.match((await page.locator('[data-testid="legend"]').textContent()) ?? '', /Nuclei_AreaShape_Area/);
  });

  await t.test('map view: scatter of the run, hover a point, click it to open its well', async () => {
    // the after-correction side: the first method that works on this tiny run (some need more controls per batch)
    const runs = (await (await fetch(`${base}/api/runs`)).json()) as { name: string; methods: string[] }[];
    const methods = runs.find((r) => r.name === RUN)?.methods ?? [];
    assert.equal(methods[0], 'none');
    let after = 'none';
    for (const method of methods.slice(1)) {
      if ((await fetch(`${base}/api/runs/${RUN}/embedding?method=${method}`)).ok) {
        after = method;
        break;
      }
    }
    await page.goto(`${base}/#/map?run=${RUN}&left=none&right=${after}&color=experiment`);
    await page.waitForFunction(() => document.querySelectorAll('.scatter').length === 2, undefined, {
      timeout: 15_000,
    });
    // a saturated pixel of the first plot is a point (the frame and labels are grey)
    const findPoint = async () =>
      (await (
        await page.waitForFunction(
          () => {
            const canvas = document.querySelector<HTMLCanvasElement>('.scatter canvas');
            const context = canvas?.getContext('2d');
            if (!canvas || !context || canvas.width === 0) return null;
            const { data, width } = context.getImageData(0, 0, canvas.width, canvas.height);
            for (let i = 0; i < data.length; i += 4) {
              if (
                data[i + 3] > 150 &&
                Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60
              ) {
                const rect = canvas.getBoundingClientRect();
                const scale = canvas.width / rect.width;
                return { x: rect.left + ((i / 4) % width) / scale, y: rect.top + Math.floor(i / 4 / width) / scale };
              }
            }
            return null;
          },
          undefined,
          { timeout: 15_000 },
        )
      ).jsonValue()) as { x: number; y: number };
    // Under load the plots may still be laying out: take a point only once two looks agree.
    let edge = await findPoint();
    for (let look = 0; look < 20; look++) {
      await page.waitForTimeout(250);
      const again = await findPoint();
      if (again.x === edge.x && again.y === edge.y) break;
      edge = again;
    }
    const tooltip = page.locator('[data-testid="map-tooltip"]');
    // The first coloured pixel is a point's rim: move inwards until the hover picks the point up.
    let point = edge;
    for (const [dx, dy] of [
      [1, 1],
      [2, 2],
      [1, 3],
      [3, 1],
      [0, 2],
      [2, 0],
      [3, 3],
    ]) {
      point = { x: edge.x + dx, y: edge.y + dy };
      await page.mouse.move(point.x, point.y);
      if (
        await tooltip.waitFor({ timeout: 1_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    await tooltip.waitFor({ timeout: 5_000 });
    const wellId = (await tooltip.locator('.tooltip-title').textContent())!.trim();
    assert.ok(
      wells.some((w) => w.wellId === wellId),
      `the tooltip names a well of the dataset: ${wellId}`,
    );
    await page.waitForTimeout(300);
    await shot('map');
    await page.mouse.click(point.x, point.y);
    await page.waitForURL(/#\/plate\?.*well=/, { timeout: 5_000 });
    await page.locator('[data-testid="well-panel"]', { hasText: wellId }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLElement>('.thumb-frame')].every((e) => e.dataset.state !== 'loading'),
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await page.locator('.thumb-frame[data-state="error"]').count(), 0, 'site thumbnails load');
    await shot('map-opened-well');
  });

  await t.test('reports view frames the report of the run', async () => {
    await page.goto(`${base}/#/reports`);
    const frame = page.frameLocator('iframe.report-frame');
    await frame.locator('h1').waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('h1').textContent(), 'Evaluation report');
    await shot('reports');
  });

  assert.deepEqual(pageErrors, [], 'no page errors');
  assert.deepEqual(foreignRequests, [], 'nothing fetched from outside the app server');
});
