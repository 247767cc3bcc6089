import { chromium, expect, Page } from '@playwright/test';
import { decodesGrowing, hydrated, person, ROOM, setUpRoom, signIn, test } from './helpers';

// Needs the server's test-only fault routes (TEST_FAULTS=1) and the TURN relay that
// scripts/e2e.sh starts (scripts/turn.sh), whose relay address comes in TURN_RELAY_IP.
test.describe.configure({ mode: 'serial' });

const RELAY_IP = process.env.TURN_RELAY_IP ?? '127.0.0.2';

async function blockDirectUdp(page: Page, on: boolean): Promise<void> {
  const response = await page.request.post('/api/test/faults/block-direct-udp', {
    data: { on, relay_ip: RELAY_IP },
  });
  expect(response.status()).toBe(200);
}

/** The Set devices connectivity verdict, once the check is done. */
function verdict(page: Page) {
  return page.getByRole('region', { name: 'Connection' }).getByRole('status');
}

/** Type of the local candidate carrying the page's `role` connection now. */
async function localCandidate(page: Page, role: 'publisher' | 'subscriber'): Promise<string | undefined> {
  return page.evaluate(async (role) => {
    const pc = (window as any).meetingRoom?.[role] as RTCPeerConnection | undefined;
    if (!pc) return undefined;
    const stats: any[] = [];
    (await pc.getStats()).forEach((s: any) => stats.push(s));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    return stats.find((s) => s.id === pair?.localCandidateId)?.candidateType;
  }, role);
}

test('with direct UDP blocked, Set devices reports the relay and the viewer still decodes the stage', async ({ browser, page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  await blockDirectUdp(page, true);
  try {
    const teacher = await person(browser, 'teacher');
    await teacher.page.goto(ROOM);
    await hydrated(teacher.page);
    await expect(teacher.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
    await expect(verdict(teacher.page)).toHaveText(
      /^Your network blocks direct media; using the relay \(TURN over (UDP|TCP|TLS)\)\.$/,
      { timeout: 40_000 },
    );
    const paths = await teacher.page.getByRole('region', { name: 'Connection' }).getByRole('listitem').allTextContents();
    test.info().annotations.push({ type: 'paths with direct UDP blocked', description: paths.join(' | ') });
    expect(paths[0]).toMatch(/^Direct: fails/);
    expect(paths.some((p) => /^Relay over UDP: works \(TURN over UDP/.test(p)), paths.join(' | ')).toBe(true);
    expect(paths.some((p) => /^Relay over TCP: works \(TURN over TCP/.test(p)), paths.join(' | ')).toBe(true);
    await teacher.page.getByRole('button', { name: 'Join stage' }).click();

    const student = await person(browser, 'student');
    await student.page.goto(ROOM);
    await hydrated(student.page);
    await expect(student.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
    await expect(verdict(student.page)).toContainText('using the relay', { timeout: 40_000 });
    await student.page.getByRole('button', { name: 'Join as viewer' }).click();
    // Attached, not visible: where the tile sits is the stage layout's business.
    await expect(student.page.getByRole('list', { name: 'Stage' }).locator('li[aria-label="Tess Teacher"]'))
      .toBeAttached({ timeout: 20_000 });
    await decodesGrowing(student.page, "the viewer's page behind the blocked network");
    const bytes = async () =>
      student.page.evaluate(async () => {
        let total = 0;
        (await ((window as any).meetingRoom.subscriber as RTCPeerConnection).getStats()).forEach((s: any) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') total += s.bytesReceived ?? 0;
        });
        return total;
      });
    const before = await bytes();
    await expect.poll(bytes, { message: 'video bytes keep arriving' }).toBeGreaterThan(before);
    // Both rooms' connections went relay-only after the check.
    expect(await localCandidate(student.page, 'subscriber')).toBe('relay');
    expect(await localCandidate(teacher.page, 'publisher')).toBe('relay');
  } finally {
    await blockDirectUdp(page, false);
  }
});

test('without the block, Set devices reports the direct path and the re-test agrees', async ({ browser, page }) => {
  test.setTimeout(60_000);
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const teacher = await person(browser, 'teacher');
  await teacher.page.goto(ROOM);
  await hydrated(teacher.page);
  await expect(teacher.page.getByRole('heading', { name: 'Set devices' })).toBeVisible();
  await expect(verdict(teacher.page)).toHaveText('Direct connection to the media server works.', { timeout: 30_000 });
  const retest = teacher.page.getByRole('button', { name: 'Re-test' });
  await retest.click();
  await expect(verdict(teacher.page)).toHaveText('Direct connection to the media server works.', { timeout: 30_000 });
  await expect(retest).toBeEnabled();
  const paths = await teacher.page.getByRole('region', { name: 'Connection' }).getByRole('listitem').allTextContents();
  test.info().annotations.push({ type: 'paths', description: paths.join(' | ') });
  expect(paths[0]).toMatch(/^Direct: works/);
});

test('TURN over TLS works once the browser trusts the relay certificate', async ({ page }) => {
  // The test relay's certificate is self-signed; the default browser refuses it (the first
  // test shows "Relay over TLS: fails"). A browser told to trust its key connects over TLS.
  test.setTimeout(60_000);
  const spki = process.env.TURN_CERT_SPKI;
  test.skip(!spki, 'scripts/turn.sh provides the certificate hash');
  await signIn(page, 'teacher');
  await setUpRoom(page, 'interactive');
  const base = test.info().project.use.launchOptions ?? {};
  const trusting = await chromium.launch({
    ...base,
    args: [...(base.args ?? []), `--ignore-certificate-errors-spki-list=${spki}`],
  });
  try {
    const context = await trusting.newContext({ baseURL: test.info().project.use.baseURL });
    const teacher = await context.newPage();
    await signIn(teacher, 'teacher');
    await teacher.goto(ROOM);
    await hydrated(teacher);
    await expect(verdict(teacher)).toHaveText('Direct connection to the media server works.', { timeout: 40_000 });
    const paths = await teacher.getByRole('region', { name: 'Connection' }).getByRole('listitem').allTextContents();
    test.info().annotations.push({ type: 'paths trusting the relay certificate', description: paths.join(' | ') });
    expect(paths.some((p) => /^Relay over TLS: works \(TURN over TLS/.test(p)), paths.join(' | ')).toBe(true);
  } finally {
    await trusting.close();
  }
});
