import { expect } from '@playwright/test';
import { hydrated, signIn, test } from './helpers';

// One fresh database per run; these steps build on each other, in order.
test.describe.configure({ mode: 'serial' });

test('a manager enables a Webinar room with the TA group as room moderators', async ({ page }) => {
  await signIn(page, 'teacher');
  await expect(page.getByRole('heading', { name: 'My Channels' })).toBeVisible();
  await page.getByRole('link', { name: 'Design 101' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Design 101' })).toBeVisible();
  await expect(page.getByText('3 items pending approval.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enter Room' })).toHaveCount(0);

  await hydrated(page);
  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: 'Configure' }).click();
  await expect(page).toHaveURL(/\/galleries\/1\/configure$/);
  await expect(page.getByRole('link', { name: 'Details' })).toHaveAttribute('aria-current', 'page');

  await page.getByRole('link', { name: 'Meeting room' }).click();
  await hydrated(page);
  const enable = page.getByRole('switch', { name: 'Enable meeting room' });
  await expect(enable).not.toBeChecked();
  await enable.check();
  await expect(page.getByText('Up to 10 cameras, 300 total participants.')).toBeVisible();
  await page.getByRole('radio', { name: 'Webinar' }).check();

  await page.getByRole('combobox', { name: 'Add room moderators' }).fill('teach');
  await page.getByRole('option', { name: /Teaching assistants/ }).click();
  await expect(page.getByRole('list', { name: 'Room moderators' })).toContainText('Teaching assistants');

  await page.getByLabel('Enable Q&A').selectOption('on');
  await page.getByRole('switch', { name: 'Group chat' }).uncheck();
  await page.getByRole('group', { name: 'Stage access' }).getByRole('radio', { name: 'By invitation only' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Meeting room settings saved.');

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('switch', { name: 'Enable meeting room' })).toBeChecked();
  await expect(page.getByRole('radio', { name: 'Webinar' })).toBeChecked();
  await expect(page.getByRole('radio', { name: 'Interactive' })).not.toBeChecked();
  await expect(page.getByRole('list', { name: 'Room moderators' })).toContainText('Teaching assistants');
  await expect(page.getByLabel('Enable Q&A')).toHaveValue('on');
  await expect(page.getByRole('switch', { name: 'Group chat' })).not.toBeChecked();
  await expect(page.getByRole('radio', { name: 'By invitation only' })).toBeChecked();
});

test('a student sees Enter Room and no Configure, and enters as a participant', async ({ page }) => {
  await signIn(page, 'student', '/galleries/1');
  await expect(page.getByRole('heading', { level: 1, name: 'Design 101' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enter Room' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Actions' })).toHaveCount(0);
  await expect(page.getByText('Configure')).toHaveCount(0);
  await expect(page.getByText(/pending approval\./)).toHaveCount(0);

  await page.getByRole('button', { name: 'Enter Room' }).click();
  await expect(page.getByRole('heading', { name: 'Design 101 meeting room' })).toBeVisible();
  await expect(page.getByText('You are entering as participant.')).toBeVisible();
});

test('a TA, through the moderator group, enters the room but not the gallery', async ({ page }) => {
  // The TA is not enrolled in Design 101: its media stay closed, its room does not.
  await signIn(page, 'ta');
  await expect(page.getByRole('link', { name: 'Design 101' })).toHaveCount(0);
  const response = await page.goto('/galleries/1');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('alert')).toContainText('not a member');
  await page.goto('/rooms/1');
  await expect(page.getByText('You are entering as room moderator.')).toBeVisible();
});

test('a channel manager reaches the room settings through Actions > Manage content', async ({ page }) => {
  await signIn(page, 'teacher', '/channels/3');
  await hydrated(page);
  const actions = page.getByRole('button', { name: 'Actions' });
  const manage = page.getByRole('menuitem', { name: 'Manage content' });
  await actions.click();
  await expect(manage).toBeVisible();
  await page.getByRole('heading', { level: 1, name: 'Faculty Lounge' }).click();
  await expect(manage).toBeHidden();
  await actions.click();
  await manage.click();
  await page.getByRole('link', { name: 'Meeting room' }).click();
  await hydrated(page);
  await expect(page.getByText('Configure your channel meeting room.')).toBeVisible();
  await page.getByRole('switch', { name: 'Enable meeting room' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Meeting room settings saved.');
  await page.getByRole('link', { name: '‹ Channel' }).click();
  await expect(page.getByRole('button', { name: 'Enter Room' })).toBeVisible();
});

test('an outsider is refused the gallery page', async ({ page }) => {
  await signIn(page, 'outsider');
  await expect(page.getByText('You are not in any channel yet.')).toBeVisible();
  const response = await page.goto('/galleries/1');
  expect(response?.status()).toBe(403);
  await expect(page.getByText('Lecture: Principles of Design')).toHaveCount(0);
});
