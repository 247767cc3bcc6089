import { expect, Page } from '@playwright/test';
import { hydrated, signIn, test } from '../tests/helpers';

const ROOM = '/rooms/2';
const TRIES = Number(process.env.TRIES ?? 10);

/** Milliseconds from the Join click until the subscriber connection has decoded a frame. */
async function clickToFirstFrame(page: Page): Promise<number> {
  await page.evaluate(() => {
    (window as any).__joinClickedAt = undefined;
    document.addEventListener(
      'click',
      (event) => {
        if ((event.target as HTMLElement).textContent === 'Join as viewer') {
          (window as any).__joinClickedAt = performance.now();
        }
      },
      { capture: true, once: true },
    );
  });
  await page.getByRole('button', { name: 'Join as viewer' }).click();
  return page.evaluate(async () => {
    for (;;) {
      const pc = (window as any).meetingRoom?.subscriber as RTCPeerConnection | undefined;
      if (pc) {
        let decoded = 0;
        (await pc.getStats()).forEach((s: any) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
        });
        if (decoded > 0) return performance.now() - (window as any).__joinClickedAt;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
}

test('Join as viewer to the first decoded frame', async ({ browser, page }) => {
  await signIn(page, 'teacher');
  const saved = await page.request.put('/api/containers/2/room', {
    data: { enabled: true, mode: 'interactive', room_moderators: [], chat_moderators: [], qna: 'site_default', group_chat: true },
  });
  expect(saved.status()).toBe(200);
  await page.goto(ROOM);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join stage' }).click();
  await expect(page.getByRole('region', { name: 'Stage' })).toContainText('Tess Teacher');

  const viewer = await browser.newContext();
  const viewerPage = await viewer.newPage();
  await signIn(viewerPage, 'student');
  const samples: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    await viewerPage.goto(ROOM);
    await hydrated(viewerPage);
    await expect(viewerPage.getByRole('button', { name: 'Join as viewer' })).toBeEnabled();
    samples.push(await clickToFirstFrame(viewerPage));
  }
  samples.sort((a, b) => a - b);
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  console.log(`join → first decoded frame over ${samples.length} tries: p50 ${pick(0.5).toFixed(0)} ms, ` +
    `min ${samples[0].toFixed(0)} ms, max ${samples[samples.length - 1].toFixed(0)} ms`);
  await viewer.close();
});
