import { CopyButton } from './copy-button';

/** Preformatted code with a copy button. */
export function CodeBlock({ code, label, copyLabel = 'Copy' }: { code: string; label?: string; copyLabel?: string }) {
  return (
    <div className="code-block">
      <div className="code-block-bar">
        {label && <span className="muted">{label}</span>}
        <CopyButton text={code} label={copyLabel} className="button-ghost" />
      </div>
      <pre tabIndex={0} aria-label={label ?? 'Code'}>
        <code>{code}</code>
      </pre>
    </div>
  );
}
