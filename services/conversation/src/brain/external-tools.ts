import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { addDays, formatLocalDate, instantOfLocal, isoWeekday, localDateOf, type LocalDate } from '@tend/platform';
import type { Appointment, ExternalService, WeatherForecast } from '@tend/proto/tend/external/v1/external';
import type { AppointmentDay, CalendarRequest, WeatherRequest } from '../understanding/external-requests.js';
import type { ToolAction, TurnInput } from './turn.js';

type Locale = 'en' | 'zh';

const hoursOf = { morning: [6, 12], afternoon: [12, 18], evening: [18, 24] } as const;
const partZh = { morning: '上午', afternoon: '下午', evening: '晚上' } as const;

/**
 * Weather, the person's place and appointments through the external service's contract, as the
 * turn's caller, with spoken answers in the person's language. Each call is recorded in
 * `actions` like the health tools; a provider that is down is said plainly, and a stale answer
 * says how old it is.
 */
export class ExternalTools {
  constructor(
    private readonly external: Client<typeof ExternalService>,
    private readonly turn: TurnInput,
    private readonly actions: ToolAction[],
  ) {}

  /** The forecast of a day (0 today, 1 tomorrow) at the person's place or a named one. */
  async forecast(daysAhead: number, request: WeatherRequest, l: Locale): Promise<WeatherForecast> {
    const day = addDays(localDateOf(this.turn.now.getTime(), this.turn.person.timeZone), daysAhead);
    return this.#act('get_weather', async () => {
      const { forecast } = await this.external.getWeather({
        caller: this.turn.caller,
        location: request.place ?? '',
        localDate: formatLocalDate(day),
        language: l,
      });
      return forecast!;
    });
  }

  async weatherReply(daysAhead: number, request: WeatherRequest, l: Locale): Promise<string> {
    try {
      if (request.air) return await this.#airReply(request, l);
      const f = await this.forecast(daysAhead, request, l);
      const when = daysAhead === 1 ? (l === 'zh' ? '明天' : 'Tomorrow') : l === 'zh' ? '今天' : 'Today';
      let text = `${when} ${f.summary}`;
      if (request.partOfDay) {
        const [from, to] = hoursOf[request.partOfDay];
        const hours = f.hours.filter(
          (h) => Number(h.localTime.slice(0, 2)) >= from && Number(h.localTime.slice(0, 2)) < to,
        );
        const chance = Math.round(Math.max(0, ...hours.map((h) => h.precipitationProbability)) * 100);
        const part = l === 'zh' ? partZh[request.partOfDay] : `this ${request.partOfDay}`;
        text =
          l === 'zh'
            ? `${part}降雨概率最高${chance}%。${chance >= 50 ? '记得带伞。' : ''}${f.summary}`
            : `The chance of rain ${daysAhead === 1 ? `tomorrow ${request.partOfDay}` : part} is up to ${chance}%.${chance >= 50 ? ' Take an umbrella.' : ''} ${f.summary}`;
      } else if (request.rain) {
        const chance = Math.round(f.precipitationProbability * 100);
        text += chance >= 50 ? (l === 'zh' ? '记得带伞。' : ' Take an umbrella.') : '';
      }
      return text + staleNote(f.stale, Number(f.staleAgeSeconds), l);
    } catch (error) {
      return this.#failure(error, l);
    }
  }

  async #airReply(request: WeatherRequest, l: Locale): Promise<string> {
    const air = await this.#act('get_air_quality', async () => {
      const { airQuality } = await this.external.getAirQuality({
        caller: this.turn.caller,
        location: request.place ?? '',
        language: l,
      });
      return airQuality!;
    });
    const zhCategory: Record<string, string> = {
      good: '优',
      fair: '良',
      moderate: '中等',
      poor: '较差',
      'very poor': '很差',
      'extremely poor': '极差',
    };
    const text =
      l === 'zh'
        ? `${air.location}现在空气质量${zhCategory[air.category] ?? air.category}：欧洲AQI ${Math.round(air.europeanAqi)}，美国AQI ${Math.round(air.usAqi)}，PM2.5 ${Math.round(air.pm25)}微克/立方米。`
        : `The air in ${air.location} is ${air.category} now: European AQI ${Math.round(air.europeanAqi)}, US AQI ${Math.round(air.usAqi)}, PM2.5 ${Math.round(air.pm25)} µg/m³.`;
    return text + staleNote(air.stale, Number(air.staleAgeSeconds), l);
  }

  /** "I live in Berlin": geocoded and stored. */
  async setPlace(place: string, l: Locale): Promise<string> {
    try {
      const stored = await this.#act('set_place', async () => {
        const { place: saved } = await this.external.setPlace({
          caller: this.turn.caller,
          location: place,
          language: l,
        });
        return saved!;
      });
      return l === 'zh'
        ? `好的，我记下了您住在${stored.name}。天气会按这里回答。`
        : `Got it: you live in ${stored.name}. I'll use it for the weather.`;
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.InvalidArgument) {
        return l === 'zh' ? `我找不到叫“${place}”的地方。` : `I couldn't find a place called "${place}".`;
      }
      return this.#failure(error, l);
    }
  }

  /** Lists, adds or cancels appointments as the sentence asks. */
  async calendarReply(request: CalendarRequest, l: Locale): Promise<string> {
    switch (request.calendarAction) {
      case 'list':
        return this.#list(request, l);
      case 'add':
        return this.#add(request, l);
      case 'cancel':
        return this.#cancel(request, l);
    }
  }

  async #upcoming(from: Date, to?: Date): Promise<Appointment[]> {
    return this.#act('list_appointments', async () => {
      const { appointments } = await this.external.listAppointments({
        caller: this.turn.caller,
        from: timestampFromDate(from),
        to: to && timestampFromDate(to),
        page: { limit: 20, cursor: '' },
      });
      return appointments;
    });
  }

  async #list(request: CalendarRequest, l: Locale): Promise<string> {
    const zone = this.turn.person.timeZone;
    const today = localDateOf(this.turn.now.getTime(), zone);
    let window: { from: Date; to?: Date } = { from: this.turn.now };
    if (request.nextWeek) {
      const monday = addDays(today, 7 - (isoWeekday(today) - 1));
      window = { from: this.#midnight(monday), to: this.#midnight(addDays(monday, 7)) };
    } else if (request.appointmentDay) {
      const day = this.#dayOf(request.appointmentDay, today);
      window = { from: this.#midnight(day), to: this.#midnight(addDays(day, 1)) };
    }
    const found = await this.#upcoming(window.from, window.to);
    const wanted = request.appointmentTitle
      ? found.filter((a) => a.title.toLowerCase().includes(request.appointmentTitle!.toLowerCase()))
      : found;
    const list = wanted.length > 0 ? wanted : found;
    if (list.length === 0) return l === 'zh' ? '您没有安排的预约。' : 'You have no appointments coming up.';
    if (!request.nextWeek && !request.appointmentDay) {
      const next = list[0]!;
      return l === 'zh' ? `您下一个预约是${spoken(next, l)}。` : `Your next appointment is ${spoken(next, l)}.`;
    }
    const items = list.map((a) => spoken(a, l));
    return l === 'zh'
      ? `您有${items.length}个预约：${items.join('；')}。`
      : `You have ${items.length}: ${items.join('; ')}.`;
  }

  async #add(request: CalendarRequest, l: Locale): Promise<string> {
    if (!request.appointmentDay || !request.appointmentTime) {
      return l === 'zh'
        ? '请告诉我是哪天几点，例如“周五下午3点”。'
        : 'Which day and time? For example "Friday at 3 pm".';
    }
    let day = this.#dayOf(request.appointmentDay, localDateOf(this.turn.now.getTime(), this.turn.person.timeZone));
    const [hour = 0, minute = 0] = request.appointmentTime.split(':').map(Number);
    // "Friday at 3 pm" said on a Friday evening is next Friday.
    if (
      'weekday' in request.appointmentDay &&
      instantOfLocal(day, hour * 60 + minute, this.turn.person.timeZone) < this.turn.now.getTime()
    ) {
      day = addDays(day, 7);
    }
    const title = request.appointmentTitle ?? (l === 'zh' ? '预约' : 'Appointment');
    try {
      const created = await this.#act('add_appointment', async () => {
        const { appointment } = await this.external.createAppointment({
          caller: this.turn.caller,
          title,
          localStart: `${formatLocalDate(day)}T${request.appointmentTime}`,
          timeZone: this.turn.person.timeZone,
        });
        return appointment!;
      });
      return l === 'zh' ? `已添加：${spoken(created, l)}。` : `Added: ${spoken(created, l)}.`;
    } catch (error) {
      return this.#failure(error, l);
    }
  }

  async #cancel(request: CalendarRequest, l: Locale): Promise<string> {
    const today = localDateOf(this.turn.now.getTime(), this.turn.person.timeZone);
    const day = request.appointmentDay && this.#dayOf(request.appointmentDay, today);
    const found = day
      ? await this.#upcoming(this.#midnight(day), this.#midnight(addDays(day, 1)))
      : await this.#upcoming(this.turn.now);
    const matching = request.appointmentTitle
      ? found.filter((a) => a.title.toLowerCase().includes(request.appointmentTitle!.toLowerCase()))
      : found;
    if (matching.length !== 1) {
      if (matching.length === 0) return l === 'zh' ? '那天没有找到预约。' : "I couldn't find an appointment then.";
      const items = matching.map((a) => spoken(a, l)).join(l === 'zh' ? '；' : '; ');
      return l === 'zh'
        ? `有几个预约：${items}。要取消哪一个？`
        : `There are several: ${items}. Which one should I cancel?`;
    }
    const target = matching[0]!;
    await this.#act('cancel_appointment', () =>
      // A visit of a recurring appointment is cancelled alone; the series goes on.
      this.external.deleteAppointment({
        caller: this.turn.caller,
        appointmentId: target.id,
        occurrenceStart: target.rrule ? target.startsAt : undefined,
      }),
    );
    return l === 'zh' ? `已取消：${spoken(target, l)}。` : `Cancelled: ${spoken(target, l)}.`;
  }

  /** The date a spoken day names: today, tomorrow, or the next such weekday (today included). */
  #dayOf(day: AppointmentDay, today: LocalDate): LocalDate {
    if ('relative' in day) return addDays(today, day.relative);
    return addDays(today, (day.weekday - (isoWeekday(today) - 1) + 7) % 7);
  }

  #midnight(day: LocalDate): Date {
    return new Date(instantOfLocal(day, 0, this.turn.person.timeZone));
  }

  #failure(error: unknown, l: Locale): string {
    if (error instanceof ConnectError && error.code === Code.Unavailable) {
      return l === 'zh' ? '我现在连不上天气服务。' : error.rawMessage || "I can't reach the weather service right now.";
    }
    if (
      error instanceof ConnectError &&
      error.code === Code.InvalidArgument &&
      /no place is stored/.test(error.rawMessage)
    ) {
      return l === 'zh'
        ? '请先告诉我您住在哪里，例如“我住在北京”。'
        : 'Tell me where you live first, for example "I live in Berlin".';
    }
    throw error;
  }

  async #act<T>(tool: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.actions.push({ tool, ok: true });
      return result;
    } catch (error) {
      this.actions.push({ tool, ok: false });
      throw error;
    }
  }
}

function staleNote(stale: boolean, ageSeconds: number, l: Locale): string {
  if (!stale) return '';
  const minutes = Math.max(1, Math.round(ageSeconds / 60));
  const age = minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
  return l === 'zh'
    ? `（天气服务暂时连不上，这是${minutes < 120 ? `${minutes}分钟` : `${Math.round(minutes / 60)}小时`}前的预报。）`
    : ` (The weather service is unreachable; this forecast is ${age} old.)`;
}

function spoken(a: Appointment, l: Locale): string {
  const start = timestampDate(a.startsAt!);
  const when = start.toLocaleString(l === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: a.timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: 'numeric',
    minute: '2-digit',
  });
  const who = a.clinician ? (l === 'zh' ? `（${a.clinician}）` : ` with ${a.clinician}`) : '';
  return l === 'zh' ? `${when}${a.title}${who}` : `${a.title}${who} on ${when}`;
}
