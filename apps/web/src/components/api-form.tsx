import { createContext, useContext, type ReactNode } from 'react';

const FieldErrors = createContext<Readonly<Record<string, string>>>({});

/**
 * A form whose fields show the API's complaints (problem+json `errors`, by field name) under
 * themselves until the next submit. The browser's own validation is off: the API is the one
 * judge of what is valid, and its words are the ones shown.
 */
export function ApiForm(props: {
  errors: Readonly<Record<string, string>>;
  onSubmit: () => void;
  className?: string;
  'aria-labelledby'?: string;
  children: ReactNode;
}) {
  return (
    <form
      noValidate
      className={props.className}
      aria-labelledby={props['aria-labelledby']}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <FieldErrors.Provider value={props.errors}>{props.children}</FieldErrors.Provider>
    </form>
  );
}

/** The API's complaint about the field `name` of the surrounding ApiForm, if any. */
export function useFieldError(name: string): string | undefined {
  return useContext(FieldErrors)[name];
}
