import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard';

interface CopyButtonProps {
  text: string;
  label?: string;
  className?: string;
  /** Called once the text is on the clipboard. */
  onCopied?: () => void;
}

/** Copies `text`; the label says "Copied" for a moment (announced to screen readers). */
export function CopyButton({ text, label = 'Copy', className = 'button-secondary', onCopied }: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 1800);
    return () => window.clearTimeout(timer);
  }, [state]);

  const copy = async () => {
    try {
      await copyText(text);
      setState('copied');
      onCopied?.();
    } catch {
      setState('failed');
    }
  };

  return (
    <button type="button" className={className} onClick={() => void copy()}>
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}</span>
    </button>
  );
}
