import { expect } from '@playwright/test';
import { hydrated, signIn, test } from './helpers';

test('a media owner adds a group as room and chat moderators', async ({ page }) => {
  await signIn(page, 'teacher', '/media/3/edit/roles');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Roles & permissions' })).toBeVisible();
  await expect(page.getByText('No moderators yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Add users' }).click();
  await page.getByRole('menuitem', { name: 'Moderators' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add moderators' });
  await dialog.getByRole('combobox', { name: 'Select users' }).fill('design');
  await dialog.getByRole('option', { name: /Design 101 students/ }).click();
  await dialog.getByLabel('Chat moderator').check();
  await dialog.getByRole('button', { name: 'Add' }).click();

  await expect(page.getByRole('status')).toHaveText('Moderators added.');
  const row = page.getByRole('row', { name: /Design 101 students/ });
  await expect(row.getByRole('cell').nth(1)).toHaveText('Yes');
  await expect(row.getByRole('cell').nth(2)).toHaveText('Yes');

  await page.reload();
  await expect(page.getByRole('row', { name: /Design 101 students/ })).toBeVisible();
});
