import { expect, Page } from '@playwright/test';
import { GALLERY, hydrated, person, ROOM, setUpRoom, signIn, test } from './helpers';

test.describe.configure({ mode: 'serial' });

async function enter(page: Page, seat: 'Join stage' | 'Join as viewer'): Promise<void> {
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: seat }).click();
  await expect(page.getByRole('toolbar', { name: 'Room controls' })).toBeVisible();
}

test('a moderator records the stage; everyone is told; the recording lands in the gallery and plays', async ({ browser, page }) => {
  test.setTimeout(150_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const teacher = await person(browser, 'teacher');
  await enter(teacher.page, 'Join stage');
  const student = await person(browser, 'student');
  await enter(student.page, 'Join as viewer');
  // The gallery stays open in another tab: the recording must appear there by itself.
  await page.goto(`/galleries/${GALLERY}`);
  await hydrated(page);

  // Recordings earlier tests made are on the page too.
  const earlier = await page
    .getByRole('link', { name: /^Video Production — \d{4}-/ })
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  await expect(student.page.getByRole('button', { name: 'Start recording' })).toHaveCount(0);
  await teacher.page.getByRole('button', { name: 'Start recording' }).click();
  await expect(teacher.page.getByRole('button', { name: 'Stop recording' })).toBeVisible();
  const startedAt = Date.now();
  await expect(student.page.getByRole('status').filter({ hasText: 'Recording' })).toBeVisible();
  await expect(student.page.getByRole('button', { name: /recording/i })).toHaveCount(0);
  // Whoever joins later is told too.
  const late = await person(browser, 'student2');
  await enter(late.page, 'Join as viewer');
  await expect(late.page.getByRole('status').filter({ hasText: 'Recording' })).toBeVisible();

  // The recording's length (what is recorded), not a wait for something to happen.
  await teacher.page.waitForTimeout(15_000);
  await teacher.page.getByRole('button', { name: 'Stop recording' }).click();
  // From the moderator seeing it run to the Stop click: what the file must hold.
  const recordedSecs = (Date.now() - startedAt) / 1000;
  await expect(student.page.getByRole('status').filter({ hasText: 'Recording' })).toHaveCount(0);

  // Listed on the open gallery page without a reload, ready to play: the one link more.
  const recordings = page.getByRole('link', { name: /^Video Production — \d{4}-/ });
  await expect(recordings).toHaveCount(earlier.length + 1, { timeout: 20_000 });
  const hrefs = await recordings.evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  const fresh = hrefs.find((h) => !earlier.includes(h))!;
  const entry = page.locator(`a[href="${fresh}"]`);
  const row = page.getByRole('listitem').filter({ has: entry });
  await expect(row.getByRole('status')).toHaveText(/ready/i, { timeout: 20_000 });
  const href = (await entry.getAttribute('href'))!;
  await page.goto(href);
  await hydrated(page);
  const player = page.getByLabel(/^Play Video Production — /);
  await expect(player).toBeVisible();
  await player.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect.poll(() => player.evaluate((v: HTMLVideoElement) => v.currentTime), { message: 'it plays' }).toBeGreaterThan(1);
  await expect
    .poll(() => player.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames), { message: 'frames decoded' })
    .toBeGreaterThan(10);
  const duration = await player.evaluate((v: HTMLVideoElement) => v.duration);
  expect(Math.abs(duration - recordedSecs), `${duration} s played for ${recordedSecs} s recorded`).toBeLessThan(2);

  // Someone outside the course gets neither the page nor the file.
  const outsider = await person(browser, 'outsider');
  expect([403, 404]).toContain((await outsider.page.request.get(`${href}/file`)).status());
  await outsider.page.goto(href);
  await expect(outsider.page.locator('video')).toHaveCount(0);
  for (const one of [teacher, student, late, outsider]) await one.context.close();
});
