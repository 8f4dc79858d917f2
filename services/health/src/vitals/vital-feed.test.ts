import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { VitalSchema } from '@tend/proto/tend/health/v1/vitals';
import { VitalFeed, type VitalChange } from './vital-feed.js';

describe('vital feed', () => {
  it('delivers a person’s changes to their subscribers only, until they unsubscribe', () => {
    const feed = new VitalFeed();
    const ada: VitalChange[] = [];
    const eve: VitalChange[] = [];
    const stopAda = feed.subscribe('ada', (c) => ada.push(c));
    feed.subscribe('eve', (c) => eve.push(c));
    const vital = create(VitalSchema, { id: 'v1', userId: 'ada' });
    feed.publish('ada', [{ type: 'recorded', vital }]);
    expect(ada).toEqual([{ type: 'recorded', vital }]);
    expect(eve).toEqual([]);
    expect(feed.watchers('ada')).toBe(1);
    stopAda();
    feed.publish('ada', [{ type: 'deleted', vitalId: 'v1' }]);
    expect(ada).toHaveLength(1);
    expect(feed.watchers('ada')).toBe(0);
    expect(feed.size).toBe(1);
  });
});
