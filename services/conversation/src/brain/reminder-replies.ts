type Locale = 'en' | 'zh';

/** "08:00" → "8:00 AM" / "早上8:00": the way a time of day is said back to a person. */
export function spokenTime(l: Locale, time: string): string {
  const hour = Number(time.slice(0, 2));
  const minute = time.slice(3, 5);
  if (l === 'zh') {
    const part =
      hour < 5 ? '凌晨' : hour < 9 ? '早上' : hour < 12 ? '上午' : hour < 13 ? '中午' : hour < 18 ? '下午' : '晚上';
    return `${part}${hour > 12 ? hour - 12 : hour}:${minute}`;
  }
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  return `${twelve}:${minute} ${hour < 12 ? 'AM' : 'PM'}`;
}

function timesSaid(l: Locale, times: readonly string[]): string {
  const said = times.map((t) => spokenTime(l, t));
  if (l === 'zh') return said.join('和');
  return said.length <= 1 ? (said[0] ?? '') : `${said.slice(0, -1).join(', ')} and ${said[said.length - 1]}`;
}

/** A dose as said back: "81 mg", "1 tablet". */
export function doseSaid(l: Locale, amount: number, unit: string): string {
  const zhUnits: Record<string, string> = { mg: '毫克', mcg: '微克', g: '克', mL: '毫升', tablet: '片', capsule: '粒' };
  if (l === 'zh') return `${amount}${zhUnits[unit] ?? unit}`;
  const countable = ['tablet', 'capsule', 'puff', 'drop', 'unit', 'patch', 'spray'];
  return `${amount} ${countable.includes(unit) && amount !== 1 ? `${unit}s` : unit}`;
}

/**
 * What the agent says about reminders, in English and Chinese. Each confirmation says what will
 * happen (which medication, at what local time, how often), and what was assumed when the person
 * did not say it.
 */
export const reminderReplies = {
  scheduled: (l: Locale, medication: string, times: readonly string[], timeZone: string) =>
    l === 'zh'
      ? `好的，我会在每天${timesSaid(l, times)}（${timeZone}时间）提醒你服用${medication}。`
      : `Done — I'll remind you to take ${medication} at ${timesSaid(l, times)} every day (${timeZone} time).`,
  added: (l: Locale, medication: string, dose: string, doseAssumed: boolean) =>
    l === 'zh'
      ? `已把${medication}（每次${dose}）加入你的药物清单。${doseAssumed ? '你没有说剂量，我先记为每次1片，可以在应用里修改。' : ''}`
      : `I've added ${medication} (${dose} a dose) to your medications.${doseAssumed ? " You didn't say the dose, so I put 1 tablet; you can change it in the app." : ''}`,
  assumedMorning: (l: Locale, times: readonly string[]) =>
    l === 'zh'
      ? `我理解为${timesSaid(l, times)}；如果是晚上，请说"晚上${Number(times[0]!.slice(0, 2))}点"。`
      : `I took that as ${timesSaid(l, times)}; say "${Number(times[0]!.slice(0, 2))} pm" if you meant the evening.`,
  needsTime: (l: Locale, medication?: string) =>
    l === 'zh'
      ? `几点提醒你${medication ? `服用${medication}` : ''}？例如"早上八点"。`
      : `What time should I remind you${medication ? ` to take ${medication}` : ''}? For example, "at 8 am".`,
  needsMedication: (l: Locale) =>
    l === 'zh'
      ? '要提醒你吃哪种药？例如"八点提醒我吃阿司匹林"。'
      : 'Which medication should I remind you about? For example, "remind me to take aspirin at 8 am".',
  needsMedicationToAdd: (l: Locale) =>
    l === 'zh'
      ? '要添加哪种药？例如"每天早上七点吃赖诺普利10毫克"。'
      : 'Which medication should I add? For example, "add lisinopril 10 mg every morning at 7".',
  snoozed: (l: Locale, medication: string, until: string, minutes: number) =>
    l === 'zh'
      ? `好的，${minutes}分钟后（${until}）再提醒你服用${medication}。`
      : `Okay — I'll remind you about ${medication} again in ${minutes} minutes, at ${until}.`,
  nothingToSnooze: (l: Locale) =>
    l === 'zh' ? '现在没有可以推迟的提醒。' : "There's no reminder to snooze right now.",
  upcoming: (l: Locale, day: 'today' | 'tomorrow', lines: readonly string[]) =>
    lines.length === 0
      ? l === 'zh'
        ? `${day === 'today' ? '今天' : '明天'}没有要发的提醒了。`
        : `You have no more reminders ${day}.`
      : l === 'zh'
        ? `${day === 'today' ? '今天' : '明天'}的提醒：${lines.join('；')}。`
        : `Your reminders ${day}: ${lines.join('; ')}.`,
  remindersStopped: (l: Locale, medication: string) =>
    l === 'zh'
      ? `好的，不再提醒你服用${medication}。它仍在你的药物清单上，服药记录也都保留；想恢复时说"八点提醒我吃${medication}"。`
      : `Okay — I won't remind you about ${medication} anymore. It stays on your medication list with its history; say "remind me to take ${medication} at 8 am" to turn reminders back on.`,
  notOnList: (l: Locale, name: string) =>
    l === 'zh'
      ? `你的药物清单上没有"${name}"，所以没有改动任何提醒。`
      : `I couldn't find "${name}" on your medication list, so I haven't changed any reminders.`,
  whichToStop: (l: Locale) =>
    l === 'zh'
      ? '要停止哪种药的提醒？例如"别再提醒我吃维生素D"。'
      : 'Which medication should I stop reminding you about? For example, "stop reminding me about vitamin D".',
};
