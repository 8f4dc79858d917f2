import { describe, expect, it } from 'vitest';
import { understand } from './understand.js';

const read = (text: string) => understand(text, { medicationNames: ['Metformin'] });

describe('weather, place and appointment sentences', () => {
  it('hears the day, the part of the day, rain and air in weather questions', () => {
    expect(read("what's the weather tomorrow")).toMatchObject({ intent: 'weather', period: 'tomorrow' });
    expect(read('is it going to rain this afternoon').weather).toMatchObject({ partOfDay: 'afternoon', rain: true });
    expect(read("how's the air today").weather).toMatchObject({ air: true });
    expect(read('明天天气怎么样')).toMatchObject({ intent: 'weather', period: 'tomorrow', locale: 'zh' });
    expect(read('空气质量如何')).toMatchObject({ intent: 'weather', weather: { air: true } });
    expect(read("what's the weather in Paris tomorrow").weather?.place).toBe('paris');
  });

  it('hears where a person lives, in English and Chinese', () => {
    expect(read('I live in Berlin')).toMatchObject({ intent: 'set_place', place: 'Berlin' });
    expect(read("I'm based in New York now")).toMatchObject({ intent: 'set_place', place: 'New York' });
    expect(read('我住在北京')).toMatchObject({ intent: 'set_place', place: '北京' });
  });

  it('tells adding, cancelling and asking about appointments apart', () => {
    expect(read('add a dentist appointment on Friday at 3 pm').calendar).toEqual({
      calendarAction: 'add',
      appointmentTitle: 'Dentist',
      appointmentDay: { weekday: 4 },
      appointmentTime: '15:00',
    });
    expect(read("cancel Tuesday's appointment").calendar).toMatchObject({
      calendarAction: 'cancel',
      appointmentDay: { weekday: 1 },
    });
    expect(read("when is my next doctor's appointment").calendar).toMatchObject({ calendarAction: 'list' });
    expect(read('我下周有什么预约').calendar).toMatchObject({ calendarAction: 'list', nextWeek: true });
  });

  it('still hears readings and doses as before', () => {
    expect(read('I took my metformin').intent).toBe('log_dose');
    expect(read('my blood pressure is 120 over 80').intent).toBe('log_vital');
  });
});
