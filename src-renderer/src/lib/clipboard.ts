import { getDesktopBridge } from './bridge';

/** Copies `text`: through the desktop bridge in the app, the Clipboard API in a browser, a hidden textarea as a last resort. */
export async function copyText(text: string): Promise<void> {
  const bridge = getDesktopBridge();
  if (bridge) return bridge.copyToClipboard(text);
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not a secure context or no permission: fall back to the legacy path.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('The browser refused to copy.');
}
