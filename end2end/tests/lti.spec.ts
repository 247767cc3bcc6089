import { expect, type Page } from '@playwright/test';
import { generateKeyPairSync, createSign, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hydrated, signIn, test, watchForPanics } from './helpers';

// A small LMS in this process: its own RSA key (node's crypto), its JWKS, a course page that
// starts the LTI login with an auto-submitting form, and an authentication endpoint that
// posts a signed id_token back to the tool, as Moodle and Canvas do.
const CLIENT_ID = 'e2e-tool';
const DEPLOYMENT = 'e2e-deployment';
const KID = 'e2e-platform-key';
const CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function sign(claims: object): string {
  const body = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KID }))}.${b64url(JSON.stringify(claims))}`;
  const signer = createSign('RSA-SHA256');
  signer.update(body);
  return `${body}.${signer.sign(privateKey).toString('base64url')}`;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function autoSubmit(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escape(value)}">`)
    .join('');
  return `<!DOCTYPE html><html><body><form method="post" action="${escape(action)}">${inputs}</form>
    <script>document.forms[0].submit()</script></body></html>`;
}

let lms: Server;
let lmsBase = '';
let issuer = '';
const toolBase = process.env.BASE_URL ?? 'http://127.0.0.1:3000';

function handle(request: IncomingMessage): { status: number; type: string; body: string } {
  const url = new URL(request.url ?? '/', lmsBase);
  if (url.pathname === '/jwks') {
    return { status: 200, type: 'application/json', body: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] }) };
  }
  if (url.pathname === '/course') {
    // The course's link to the tool: the LMS starts a third-party login (a form post).
    const who = `${url.searchParams.get('user')}:${url.searchParams.get('role')}`;
    return {
      status: 200,
      type: 'text/html',
      body: autoSubmit(`${toolBase}/lti/login`, {
        iss: issuer, login_hint: who, target_link_uri: `${toolBase}/lti/launch`,
        client_id: CLIENT_ID, lti_deployment_id: DEPLOYMENT,
      }),
    };
  }
  if (url.pathname === '/framed-course') {
    // The LMS's own page showing the tool's link in an iframe.
    const src = `/course?${url.searchParams.toString()}`;
    return { status: 200, type: 'text/html', body: `<!DOCTYPE html><html><body><h1>Course</h1>
      <iframe title="Tool" width="800" height="500" src="${escape(src)}"></iframe></body></html>` };
  }
  if (url.pathname === '/auth') {
    const [user, role] = (url.searchParams.get('login_hint') ?? '').split(':');
    const now = Math.floor(Date.now() / 1000);
    const idToken = sign({
      iss: issuer, aud: CLIENT_ID, sub: user, iat: now, exp: now + 300,
      nonce: url.searchParams.get('nonce'), name: `${user[0].toUpperCase()}${user.slice(1)} Tester`,
      [`${CLAIM}deployment_id`]: DEPLOYMENT,
      [`${CLAIM}version`]: '1.3.0',
      [`${CLAIM}message_type`]: 'LtiResourceLinkRequest',
      [`${CLAIM}roles`]: [`http://purl.imsglobal.org/vocab/lis/v2/membership#${role}`],
      [`${CLAIM}resource_link`]: { id: 'e2e-link' },
      [`${CLAIM}context`]: { id: 'e2e-course', title: 'Oceanography 200' },
    });
    return {
      status: 200,
      type: 'text/html',
      body: autoSubmit(url.searchParams.get('redirect_uri') ?? '', { id_token: idToken, state: url.searchParams.get('state') ?? '' }),
    };
  }
  return { status: 404, type: 'text/plain', body: 'not found' };
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  lms = createServer((request, response) => {
    const { status, type, body } = handle(request);
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  });
  await new Promise<void>((resolve) => lms.listen(0, '127.0.0.1', resolve));
  lmsBase = `http://127.0.0.1:${(lms.address() as AddressInfo).port}`;
  issuer = `${lmsBase}/moodle-${randomUUID().slice(0, 8)}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => lms.close(resolve));
});

/** Opens the course's tool link in the LMS, as `user` with LTI `role`, in a fresh browser. */
async function launchFromCourse(page: Page, user: string, role: string): Promise<void> {
  await page.goto(`${lmsBase}/course?user=${user}&role=${role}`);
  await expect(page).toHaveURL(/\/galleries\/\d+$/);
}

test('a site admin registers the LMS and sees the URLs to paste', async ({ page }) => {
  await signIn(page, 'admin', '/admin/settings');
  await page.getByRole('link', { name: 'LMS platforms (Moodle, Canvas)' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'LMS platforms' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText(`${toolBase}/lti/login`)).toBeVisible();
  await expect(page.getByText(`${toolBase}/lti/jwks`)).toBeVisible();
  await page.getByRole('combobox', { name: 'LMS', exact: true }).selectOption('moodle');
  await page.getByLabel('Issuer').fill(issuer);
  await page.getByLabel('Client ID').fill(CLIENT_ID);
  await page.getByLabel('Deployment IDs').fill(DEPLOYMENT);
  await page.getByLabel('Authentication request URL').fill(`${lmsBase}/auth`);
  await page.getByLabel('Public keyset (JWKS) URL').fill(`${lmsBase}/jwks`);
  await page.getByLabel('Access token URL').fill(`${lmsBase}/token`);
  await page.getByRole('button', { name: 'Register platform' }).click();
  await expect(page.getByRole('list', { name: 'Registered platforms' })).toContainText(`${issuer} (${CLIENT_ID})`);

  // A rotated tool key is published at once: platforms verify with the new key id.
  await page.getByRole('button', { name: 'Rotate tool key' }).click();
  const rotated = page.getByRole('status').filter({ hasText: 'Tool key rotated. New key id:' });
  await expect(rotated).toBeVisible();
  const kid = (await rotated.locator('code').textContent())!.trim();
  const jwks = await (await page.request.get(`${toolBase}/lti/jwks`)).json();
  expect(jwks.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
});

test('the instructor lands on the course gallery as its manager and enables the room', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await launchFromCourse(page, 'ines', 'Instructor');
  await expect(page.getByRole('heading', { level: 1, name: 'Oceanography 200' })).toBeVisible();
  await hydrated(page);
  await page.getByRole('button', { name: 'Actions' }).click();
  const configure = page.getByRole('menuitem', { name: 'Configure' });
  await expect(configure).toHaveAttribute('href', /\/galleries\/\d+\/configure$/);
  const panics: string[] = [];
  watchForPanics(page, panics);
  // Followed in the page: the menu closing as its item navigates once panicked the app.
  await configure.click();
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Details' })).toHaveAttribute('aria-current', 'page');
  await page.getByRole('link', { name: 'Meeting room' }).click();
  await hydrated(page);
  await page.getByRole('switch', { name: 'Enable meeting room' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Meeting room settings saved.');
  expect(panics, 'panics in the app').toEqual([]);
  await context.close();
});

test('a learner lands on the same gallery as a member and enters the room', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await launchFromCourse(page, 'leo', 'Learner');
  await expect(page.getByRole('heading', { level: 1, name: 'Oceanography 200' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Actions' })).toHaveCount(0);
  await hydrated(page);
  await page.getByRole('button', { name: 'Enter Room' }).click();
  await expect(page.getByRole('heading', { name: 'Oceanography 200 meeting room' })).toBeVisible();
  await expect(page.getByText('You are entering as participant.')).toBeVisible();
  await context.close();
});

test('inside another site\'s iframe, the launch continues in a new window', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // "localhost" is another site than the tool's 127.0.0.1: the tool runs in a third-party frame.
  const crossSiteLms = lmsBase.replace('127.0.0.1', 'localhost');
  await page.goto(`${crossSiteLms}/framed-course?user=leo&role=Learner`);
  const frame = page.frameLocator('iframe[title="Tool"]');
  await expect(frame.getByRole('heading', { name: 'Continue in a new window' })).toBeVisible();
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    frame.getByRole('button', { name: 'Open in a new window' }).click(),
  ]);
  await expect(popup).toHaveURL(/\/galleries\/\d+$/);
  await expect(popup.getByRole('heading', { level: 1, name: 'Oceanography 200' })).toBeVisible();
  await expect(popup.getByRole('button', { name: 'Enter Room' })).toBeVisible();
  await context.close();
});
