/**
 * RenderPacer: watch renders report.json and its renderings again while results come, each rendering over every
 * result so far. Quick renderings are paced by the interval alone; a slow one (a tinderbox's thousands of
 * results) pushes the next one out, so that renderings keep to their share of watch's time.
 */
import assert from 'node:assert/strict';
import { RenderPacer } from '../../src/sweep/watch.js';

describe('watch: RenderPacer', () => {
  it('renders at once the first time, then once per interval while renderings are quick', () => {
    const p = new RenderPacer(60_000);
    assert.equal(p.due(0), true);
    p.rendered(1_000, 1_050);
    assert.equal(p.due(60_999), false);
    assert.equal(p.due(61_000), true);
  });

  it('after a slow rendering, waits budget times its duration from its start, so renderings keep to 1/budget of the time', () => {
    const p = new RenderPacer(60_000, 100);
    p.rendered(0, 2_000); // 2 s: the next one no sooner than 200 s after this one began
    assert.equal(p.due(61_000), false);
    assert.equal(p.due(199_999), false);
    assert.equal(p.due(200_000), true);
    // Renderings of 2 s each, each as soon as allowed: their share of the time is 1/100.
    let now = 200_000;
    let busy = 2_000;
    for (let i = 0; i < 50; i++) {
      assert.equal(p.due(now), true);
      p.rendered(now, now + 2_000);
      busy += 2_000;
      now += 200_000;
    }
    assert.ok(busy / now <= 0.01 + 1e-9, `share ${busy / now}`);
  });

  it('a quick rendering after slow ones brings the interval back', () => {
    const p = new RenderPacer(60_000, 100);
    p.rendered(0, 5_000);
    assert.equal(p.due(499_999), false);
    p.rendered(500_000, 500_100);
    assert.equal(p.due(560_000), true);
  });

  it('a clock that steps back never makes the pacer wait longer than the interval and the budget ask', () => {
    const p = new RenderPacer(60_000, 100);
    p.rendered(10_000, 9_000); // the end before the start: counted as no time
    assert.equal(p.due(70_000), true);
  });
});
