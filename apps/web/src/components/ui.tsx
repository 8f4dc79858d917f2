import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  Dialog,
  DialogTrigger,
  FieldError,
  Heading,
  Input,
  Label,
  Modal,
  Radio,
  RadioGroup,
  Text,
  TextField,
  type ButtonProps,
} from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/problem.js';
import { useFieldError } from './api-form.js';

/** A button at least 44 px tall with a visible focus ring; `variant` sets its weight. */
export function Button({
  variant = 'primary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'quiet' }) {
  return (
    <AriaButton {...props} className={`button button-${variant} ${typeof className === 'string' ? className : ''}`} />
  );
}

/** A labelled text field; the API's complaint about it (by `name`) shows under it. */
export function TextInput(props: {
  name: string;
  label: string;
  description?: string;
  type?: 'text' | 'email' | 'password' | 'date';
  isRequired?: boolean;
  autoComplete?: string;
  value?: string;
  onChange?: (value: string) => void;
  defaultValue?: string;
  inputMode?: 'decimal' | 'numeric' | 'text' | 'email';
  placeholder?: string;
}) {
  const { name, label, description, inputMode, placeholder, ...rest } = props;
  const error = useFieldError(name);
  return (
    <TextField name={name} className="field" isInvalid={error !== undefined} {...rest}>
      <Label>{label}</Label>
      <Input inputMode={inputMode} placeholder={placeholder} />
      {description && <Text slot="description">{description}</Text>}
      <FieldError className="field-error">{error}</FieldError>
    </TextField>
  );
}

/**
 * A choice of one among a few, as large radio buttons (easier than a drop-down to hit and read);
 * the API's complaint about it (by `name`) shows under it.
 */
export function Choice<T extends string>(props: {
  label: string;
  name: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly { id: T; label: string }[];
  orientation?: 'horizontal' | 'vertical';
}) {
  const error = useFieldError(props.name);
  return (
    <RadioGroup
      className="choice"
      name={props.name}
      value={props.value}
      onChange={(value) => props.onChange(value as T)}
      orientation={props.orientation ?? 'horizontal'}
      isInvalid={error !== undefined}
    >
      <Label>{props.label}</Label>
      <div className="choice-options">
        {props.options.map((option) => (
          <Radio key={option.id} value={option.id} className="choice-option">
            {option.label}
          </Radio>
        ))}
      </div>
      <FieldError className="field-error">{error}</FieldError>
    </RadioGroup>
  );
}

/**
 * A destructive action behind a confirmation: the first press only asks, in plain words, and
 * the dialog's safe choice is the default focus.
 */
export function ConfirmButton(props: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  variant?: 'danger' | 'secondary';
  ariaLabel?: string;
}) {
  const { t } = useTranslation();
  return (
    <DialogTrigger>
      <Button variant={props.variant ?? 'danger'} aria-label={props.ariaLabel}>
        {props.label}
      </Button>
      <Modal className="modal" isDismissable>
        <Dialog role="alertdialog" className="dialog">
          {({ close }) => (
            <>
              <Heading slot="title">{props.question}</Heading>
              <div className="row">
                <Button variant="secondary" onPress={close} autoFocus>
                  {t('app.cancel')}
                </Button>
                <Button
                  variant="danger"
                  onPress={() => {
                    close();
                    props.onConfirm();
                  }}
                >
                  {props.confirmLabel ?? props.label}
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}

/** A form's Save button, with "Saved" announced above it once the last save went through. */
export function SaveButton({ saved, pending }: { saved: boolean; pending: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {saved && (
        <p role="status" className="notice notice-ok">
          {t('app.saved')}
        </p>
      )}
      <Button type="submit" isDisabled={pending}>
        {t('app.save')}
      </Button>
    </>
  );
}

/** The message of an API error that belongs to no field, announced to screen readers. */
export function FormProblem({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const text =
    error instanceof ApiProblem
      ? Object.keys(error.fieldErrors).length > 0
        ? undefined
        : (error.detail ?? error.title)
      : t('app.errorTitle');
  if (!text) return null;
  return (
    <p role="alert" className="notice notice-error">
      {text}
    </p>
  );
}

/** The field errors of an API answer, for React Aria's `<Form validationErrors>`. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  return error instanceof ApiProblem ? { ...error.fieldErrors } : {};
}

/** What a screen shows while its data loads, when loading failed, or when there is nothing yet. */
export function QueryState(props: {
  isPending: boolean;
  error: unknown;
  onRetry: () => void;
  isEmpty?: boolean;
  empty?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  if (props.isPending)
    return (
      <p className="muted" role="status">
        {t('app.loading')}
      </p>
    );
  if (props.error)
    return (
      <div role="alert" className="notice notice-error">
        <p>{props.error instanceof ApiProblem ? (props.error.detail ?? props.error.title) : t('app.errorTitle')}</p>
        <Button variant="secondary" onPress={props.onRetry}>
          {t('app.retry')}
        </Button>
      </div>
    );
  if (props.isEmpty) return <p className="muted">{props.empty}</p>;
  return <>{props.children}</>;
}
