import { useTranslation } from 'react-i18next';
import { categoryStyle, type BpCategory } from '../domain/bp-category.js';

/** A blood-pressure category as a coloured badge that also says its name and carries a symbol. */
export function CategoryBadge({ category }: { category: BpCategory }) {
  const { t } = useTranslation();
  const style = categoryStyle(category);
  return (
    <span className="badge" data-category={category} style={{ background: style.background, color: style.foreground }}>
      <span aria-hidden="true">{style.symbol}</span> {t(`category.${category}`)}
    </span>
  );
}
