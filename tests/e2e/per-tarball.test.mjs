// State per tarball: opening another tarball resets verify and push (state
// and labels); a destination carried over from the previous tarball is shown
// as such and must be confirmed or cleared before Push works; Push says why
// it is off in visible text.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pageSuite } from './harness/env.mjs';
import { fixture } from './harness/fixtures.mjs';
import { tagLines } from './harness/registry-client.mjs';

describe('state per tarball', () => {
  const { env, ui } = pageSuite();

  test('A verified and pushed, then B: reset labels, carried destination to confirm, B lands where confirmed', async () => {
    const a = fixture('simple-bundle');
    const b = fixture('image-app1');
    assert.match(await ui.airlock.pushReason(), /Open a tarball first/);

    assert.ok(await ui.airlock.open(a.tar), await ui.airlock.openError());
    assert.match(await ui.airlock.pushReason(), /Enter a destination repository/);
    await ui.airlock.setRepository(`${env.host}/per-tar/a`);
    assert.equal(await ui.airlock.carriedDestination(), null, 'typed for this tarball: nothing to confirm');
    assert.equal((await ui.airlock.verify()).result, 'ok');
    assert.equal(await ui.page.textContent('#verify-start'), 'Verify again');
    assert.equal((await ui.airlock.push()).result, 'pushed');
    assert.equal(await ui.page.textContent('#push-start'), 'Push again');
    assert.equal(await ui.airlock.pushReason(), '');
    assert.deepEqual(await tagLines(env.registry.base, 'per-tar/a'), a.expectedTags());

    // B: everything about A's verify and push is gone.
    assert.ok(await ui.airlock.open(b.tar), await ui.airlock.openError());
    assert.equal(await ui.page.textContent('#verify-start'), 'Verify');
    assert.equal(await ui.page.textContent('#push-start'), 'Push');
    assert.equal((await ui.page.textContent('#verify-result')).trim(), '');
    assert.equal((await ui.page.textContent('#push-result')).trim(), '');
    assert.ok(await ui.page.isHidden('#verify-progress'));
    assert.ok(await ui.page.isHidden('#push-progress'));
    // The destination is A's: shown as carried over, Push off until decided.
    const carried = await ui.airlock.carriedDestination();
    assert.match(carried, new RegExp(`Carried over from ${a.name}\\.tar: ${env.host}/per-tar/a`));
    assert.ok(await ui.page.isDisabled('#push-start'));
    assert.match(await ui.airlock.pushReason(), /Confirm or clear the destination carried over/);
    await ui.airlock.screenshot('destination-carried-over');

    // Cleared: the field is empty and focused; a new destination for B.
    await ui.airlock.clearDestination();
    assert.equal(await ui.page.inputValue('#repository'), '');
    assert.equal(await ui.page.evaluate(() => document.activeElement.id), 'repository');
    assert.match(await ui.airlock.pushReason(), /Enter a destination repository/);
    await ui.airlock.setRepository(`${env.host}/per-tar/b`);
    assert.equal(await ui.airlock.pushReason(), '');
    assert.equal((await ui.airlock.push()).result, 'pushed');
    assert.deepEqual(await tagLines(env.registry.base, 'per-tar/b'), b.expectedTags());
    assert.deepEqual(await tagLines(env.registry.base, 'per-tar/a'), a.expectedTags(), 'A’s repository untouched');

    // A again: B's destination carried over; confirmed, A lands there.
    assert.ok(await ui.airlock.open(a.tar));
    assert.equal(await ui.page.textContent('#push-start'), 'Push');
    assert.match(await ui.airlock.carriedDestination(), new RegExp(`Carried over from ${b.name}\\.tar: ${env.host}/per-tar/b`));
    assert.ok(await ui.page.isDisabled('#push-start'));
    await ui.airlock.confirmDestination();
    assert.equal(await ui.airlock.carriedDestination(), null);
    assert.ok(await ui.page.isEnabled('#push-start'));
    assert.equal((await ui.airlock.push()).result, 'pushed');
    assert.deepEqual(await tagLines(env.registry.base, 'per-tar/b'), [...new Set([...a.expectedTags(), ...b.expectedTags()])].sort());
  });

  test('a destination remembered from an earlier visit needs confirming too', async () => {
    await ui.page.reload();
    await ui.airlock.goto(env.origin);
    assert.equal(await ui.page.inputValue('#repository'), `${env.host}/per-tar/b`);
    assert.ok(await ui.airlock.open(fixture('image-app1').tar));
    assert.match(await ui.airlock.carriedDestination(), /Remembered from an earlier visit/);
    assert.ok(await ui.page.isDisabled('#push-start'));
    await ui.airlock.setRepository(`${env.host}/per-tar/typed`);
    assert.equal(await ui.airlock.carriedDestination(), null, 'typing a destination chooses it');
    assert.ok(await ui.page.isEnabled('#push-start'));
  });
});
