/** Words of the alerts that do not come from a schedule, English and Chinese. */
export const alertText = {
  urgentToPerson: (reading: string) => ({
    en: {
      title: 'Urgent reading',
      body: `Your reading of ${reading} needs attention now. If you feel unwell, call your local emergency number.`,
    },
    zh: { title: '紧急读数', body: `您的读数 ${reading} 需要立即关注。如感到不适，请拨打当地急救电话。` },
  }),
  urgentToCaregiver: (name: string, reading: string) => ({
    en: { title: `${name}: urgent reading`, body: `${name} recorded ${reading}, which needs attention now.` },
    zh: { title: `${name}：紧急读数`, body: `${name} 记录的读数 ${reading} 需要立即关注。` },
  }),
  emergency: (name: string) => ({
    en: {
      title: `${name} may need help`,
      body: `${name} told Tend about an emergency just now. Please check on them, and call the emergency number if needed.`,
    },
    zh: { title: `${name}可能需要帮助`, body: `${name}刚刚向 Tend 报告了紧急情况，请尽快联系，必要时拨打急救电话。` },
  }),
};

/** A reading as the alert says it: "185/125 mm[Hg]" or "2.8 mmol/L". */
export function readingText(data: { systolic?: number; diastolic?: number; value?: number; unit?: string }): string {
  const unit = data.unit ? ` ${data.unit}` : '';
  if (data.systolic !== undefined && data.diastolic !== undefined) return `${data.systolic}/${data.diastolic}${unit}`;
  return data.value !== undefined ? `${data.value}${unit}` : 'a reading';
}
